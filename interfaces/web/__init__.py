"""The register's HTML pages under /ui: server-rendered, no build step."""
