"""The auditor's tools: signed tree heads, proofs, verification, replay, export and import."""
