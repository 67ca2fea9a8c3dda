"""Operations over HTTP: readiness, Prometheus metrics, request ids and JSON request logs."""

from __future__ import annotations

import json
import logging
import uuid
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from opentelemetry import trace
from prometheus_client.parser import text_string_to_metric_families

from application.system import System
from interfaces.api.app import create_app
from interfaces.api.observability import (
    JsonFormatter,
    Metrics,
    ObservabilityMiddleware,
    StderrHandler,
    access_log,
    json_line,
    request_line,
    sole_json_handler,
)
from interfaces.settings import Settings
from tests.interfaces.api.conftest import MAX_BODY, Api, Case, TestClient, register_models


class StrictReadiness(Settings):
    """Settings that tolerate no projection lag at all."""

    ready_max_lag: int = 0


def samples(api: Api, name: str) -> dict[tuple[tuple[str, str], ...], float]:
    """The values of one metric's samples, keyed by their sorted labels."""
    text = api.get("/metrics").text
    return {
        tuple(sorted(s.labels.items())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
        if s.name == name
    }


def value(api: Api, name: str, **labels: str) -> float | None:
    """One sample's value, or None when the series does not exist."""
    return samples(api, name).get(tuple(sorted(labels.items())))


def test_healthz_answers_without_touching_the_store(api: Api) -> None:
    assert api.get("/healthz").json() == {"status": "ok"}


class RecordingTracer(trace.NoOpTracer):
    """A configured provider's tracer, as far as FastAPI can tell: it notes each span."""

    def __init__(self, names: list[str]) -> None:
        self.names = names

    def start_span(self, name: str, *args: Any, **kwargs: Any) -> trace.Span:
        self.names.append(name)
        return super().start_span(name, *args, **kwargs)

    def start_as_current_span(self, name: str, *args: Any, **kwargs: Any) -> Any:
        self.names.append(name)
        return super().start_as_current_span(name, *args, **kwargs)


class RecordingProvider(trace.TracerProvider):
    def __init__(self) -> None:
        self.names: list[str] = []

    def get_tracer(self, *args: Any, **kwargs: Any) -> trace.Tracer:
        return RecordingTracer(self.names)


@pytest.mark.parametrize("asked", [False, True])
def test_fastapis_opentelemetry_traces_requests_only_when_asked(
    settings: Settings, system: System, monkeypatch: pytest.MonkeyPatch, asked: bool
) -> None:
    provider = RecordingProvider()  # as if an OpenTelemetry SDK were set up in the process
    monkeypatch.setattr(trace, "get_tracer_provider", lambda: provider)
    monkeypatch.setenv("REGLEDGER_OPENTELEMETRY", "true" if asked else "false")
    app = create_app(Settings(database_url=settings.database_url, run_projections=False), system)

    with TestClient(app) as client:
        response = client.get("/healthz")

    assert response.status_code == 200
    assert ("GET" in provider.names) is asked
    assert bool(provider.names) is asked


def test_readyz_reports_the_store_and_the_positions_when_ready(
    api: Api, case: Case, system: System
) -> None:
    system.runner.catch_up()

    response = api.get("/readyz")

    body = response.json()
    assert response.status_code == 200
    assert body["status"] == "ready"
    assert body["store"] == str(system.store.kind)
    assert body["log_position"] == body["views_position"] == api.position()
    assert body["lag"] == 0


def test_readyz_is_503_while_the_views_trail_the_log_beyond_the_threshold(
    store_url: str, system: System, api: Api
) -> None:
    register_models(api)
    strict = StrictReadiness(database_url=store_url, run_projections=False)

    with TestClient(create_app(strict, system)) as client:
        response = client.get("/readyz")

    problem = response.json()
    assert response.status_code == 503
    assert problem["rule"] == "projection-lag"
    assert (problem["lag"], problem["views_position"], problem["log_position"]) == (2, 0, 2)


def test_metrics_count_requests_by_route_template_and_status(api: Api, case: Case) -> None:
    api.get(f"/v1/models/{case.fable}")
    api.get(f"/v1/models/{case.mythos}")
    api.get(f"/v1/models/{uuid.uuid4()}")

    route = "/v1/models/{model_id}"
    assert value(api, "regledger_http_requests_total", method="GET", route=route, status="200") == 2
    assert value(api, "regledger_http_requests_total", method="GET", route=route, status="404") == 1
    assert (
        value(
            api,
            "regledger_http_request_duration_seconds_count",
            method="GET",
            route=route,
            status="200",
        )
        == 2
    )


def test_metrics_count_recorded_commands_by_operation(api: Api, case: Case) -> None:
    assert value(api, "regledger_commands_total", operation="register_model") == 2
    assert value(api, "regledger_commands_total", operation="issue_directive") == 1
    assert value(api, "regledger_commands_total", operation="file_appeal") == 1


def test_an_idempotent_replay_is_not_counted_as_a_command(api: Api) -> None:
    body = {"name": "Fable 5", "description": ""}
    api.post("/v1/models", body, api.tokens.anthropic, **{"Idempotency-Key": "k-1"})

    replay = api.post("/v1/models", body, api.tokens.anthropic, **{"Idempotency-Key": "k-1"})

    assert replay.headers["Idempotent-Replayed"] == "true"
    assert value(api, "regledger_commands_total", operation="register_model") == 1


def test_metrics_report_log_position_projection_lag_and_ledger_size(
    api: Api, case: Case, system: System
) -> None:
    behind = value(api, "regledger_projection_lag")
    system.runner.catch_up()

    assert behind == api.position()
    assert value(api, "regledger_projection_lag") == 0
    assert value(api, "regledger_log_position") == api.position()
    assert value(api, "regledger_ledger_size") == api.position()
    assert value(api, "regledger_store_up") == 1


def test_each_app_keeps_its_own_metrics(
    settings: Settings, system: System, api: Api, case: Case
) -> None:
    with TestClient(create_app(settings, system)) as other:
        text = other.get("/metrics").text

    assert "regledger_commands_total{" not in text


def test_a_callers_request_id_is_echoed_once(api: Api) -> None:
    response = api.client.get("/healthz", headers={"X-Request-ID": "trace-42"})

    assert response.headers.get_list("X-Request-ID") == ["trace-42"]


def test_the_request_id_replaces_one_the_response_carries() -> None:
    async def answer(scope: Any, receive: Any, send: Any) -> None:
        headers = [(b"x-request-id", b"from-inside"), (b"content-length", b"0")]
        await send({"type": "http.response.start", "status": 204, "headers": headers})
        await send({"type": "http.response.body", "body": b""})

    app = ObservabilityMiddleware(answer, Metrics())

    response = TestClient(app).get("/", headers={"X-Request-ID": "trace-43"})  # no lifespan

    assert response.status_code == 204
    assert response.headers.get_list("X-Request-ID") == ["trace-43"]


def test_of_two_request_ids_the_first_is_kept(api: Api) -> None:
    headers = [("X-Request-ID", "first-1"), ("x-request-id", "second-2")]

    response = api.client.get("/healthz", headers=headers)

    assert response.headers.get_list("X-Request-ID") == ["first-1"]


@pytest.mark.parametrize("given", [None, "", "x" * 200, "bad id\twith spaces"])
def test_a_missing_or_malformed_request_id_is_replaced_by_a_fresh_one(
    api: Api, given: str | None
) -> None:
    headers = {} if given is None else {"X-Request-ID": given}

    response = api.client.get("/healthz", headers=headers)

    assert len(response.headers["X-Request-ID"]) == 32
    assert response.headers["X-Request-ID"] != given


def test_refusals_of_the_outer_layers_carry_a_request_id_too(api: Api) -> None:
    response = api.post("/v1/models", {"name": "x" * MAX_BODY, "description": ""}, None)

    assert response.status_code == 413
    assert response.headers["X-Request-ID"]


def test_each_request_logs_one_json_line_with_its_id_and_never_the_token(
    api: Api, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="regledger")
    response = api.post(
        "/v1/models",
        {"name": "Fable 5", "description": ""},
        api.tokens.anthropic,
        **{"X-Request-ID": "req-7"},
    )

    lines = [JsonFormatter().format(r) for r in caplog.records if r.name == "regledger.http"]

    [line] = [json.loads(text) for text in lines]
    assert response.status_code == 201
    assert line["request_id"] == "req-7"
    assert (line["method"], line["route"], line["status"]) == ("POST", "/v1/models", 201)
    assert line["duration_ms"] > 0
    everything = "\n".join(JsonFormatter().format(r) for r in caplog.records)
    assert api.tokens.anthropic not in everything
    assert "Bearer" not in everything


# A record's own attributes, and the request id, which the test sets itself.
RECORD_FIELDS = {*vars(logging.makeLogRecord({})), "message", "asctime", "request_id"}
FIELD_VALUES = st.one_of(
    st.text(), st.integers(), st.floats(allow_nan=False), st.booleans(), st.none()
)


@given(
    created=st.floats(min_value=0, max_value=4e9),
    message=st.text(),
    request_id=st.one_of(st.none(), st.text()),
    extra=st.dictionaries(
        st.text(min_size=1).filter(lambda k: k not in RECORD_FIELDS),
        FIELD_VALUES,
        max_size=6,
    ),
)
def test_a_line_made_without_a_record_is_the_formatters_line_for_that_record(
    created: float, message: str, request_id: str | None, extra: dict[str, object]
) -> None:
    record = logging.makeLogRecord(
        {"name": "regledger.http", "levelno": logging.INFO, "levelname": "INFO", "msg": message}
    )
    record.created = created
    record.request_id = request_id
    vars(record).update(extra)
    own = {"time", "level", "logger", "message"} | ({"request_id"} if request_id else set())
    # The formatter leaves out an extra field that one of the line's own keys overrides.
    fields = [(k, v) for k, v in [("request_id", request_id), *extra.items()] if k not in own]

    made = json_line(created, "info", "regledger.http", message, request_id, fields)

    assert made == JsonFormatter().format(record)


@given(
    created=st.floats(min_value=0, max_value=4e9),
    request_id=st.text(min_size=1),
    method=st.text(),
    route=st.text(),
    path=st.text(),
    status=st.integers(100, 599),
    ms=st.floats(min_value=0, max_value=1e7).map(lambda ms: round(ms, 3)),
)
def test_the_request_lines_template_writes_what_json_line_writes(
    created: float, request_id: str, method: str, route: str, path: str, status: int, ms: float
) -> None:
    fields = [("method", method), ("route", route), ("path", path)]
    expected = json_line(
        created,
        "info",
        access_log.name,
        "request",
        request_id,
        [*fields, ("status", status), ("duration_ms", ms)],
    )

    assert request_line(created, request_id, method, route, path, status, ms) == expected


def test_the_sole_json_handler_is_found_only_where_logging_is_as_configured(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    root, ours = logging.getLogger(), logging.getLogger("regledger")
    monkeypatch.setattr(ours, "propagate", False)  # the test runner's own handlers sit on root
    [handler] = [h for h in ours.handlers if isinstance(h, StderrHandler)]
    assert sole_json_handler(access_log, logging.INFO) is handler

    monkeypatch.setattr(ours, "propagate", True)
    quiet = logging.NullHandler(logging.WARNING)  # takes no INFO records: no matter
    monkeypatch.setattr(root, "handlers", [quiet])
    assert sole_json_handler(access_log, logging.INFO) is handler
    monkeypatch.setattr(root, "handlers", [quiet, logging.NullHandler(logging.INFO)])
    assert sole_json_handler(access_log, logging.INFO) is None
    monkeypatch.setattr(root, "handlers", [])

    monkeypatch.setattr(access_log, "filters", [logging.Filter("elsewhere")])
    assert sole_json_handler(access_log, logging.INFO) is None
    monkeypatch.setattr(access_log, "filters", [])
    monkeypatch.setattr(handler, "filters", [logging.Filter("elsewhere")])
    assert sole_json_handler(access_log, logging.INFO) is None
    monkeypatch.setattr(handler, "filters", [])
    monkeypatch.setattr(handler, "formatter", logging.Formatter())
    assert sole_json_handler(access_log, logging.INFO) is None
    monkeypatch.setattr(handler, "formatter", JsonFormatter())
    monkeypatch.setattr(access_log, "propagate", False)
    assert sole_json_handler(access_log, logging.INFO) is None


def test_with_logging_as_configured_each_request_writes_its_line_without_a_record(
    api: Api, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(logging.getLogger("regledger"), "propagate", False)
    made: list[logging.LogRecord] = []
    make_record = access_log.makeRecord
    monkeypatch.setattr(
        access_log, "makeRecord", lambda *a, **k: made.append(make_record(*a, **k)) or made[-1]
    )
    capsys.readouterr()

    response = api.post(
        "/v1/models",
        {"name": "Fable 5", "description": 'ünïcode "quoted"'},
        api.tokens.anthropic,
        **{"X-Request-ID": "req-8"},
    )

    lines = [json.loads(text) for text in capsys.readouterr().err.splitlines()]
    [line] = [entry for entry in lines if entry.get("request_id") == "req-8"]
    assert response.status_code == 201
    assert made == []
    assert list(line) == [
        "time",
        "level",
        "logger",
        "message",
        "request_id",
        "method",
        "route",
        "path",
        "status",
        "duration_ms",
    ]
    assert (line["level"], line["logger"], line["message"]) == ("info", "regledger.http", "request")
    assert (line["method"], line["route"], line["path"], line["status"]) == (
        "POST",
        "/v1/models",
        "/v1/models",
        201,
    )
    assert line["duration_ms"] > 0


def test_the_front_door_redirects_to_the_register_pages(api: Api) -> None:
    response = api.client.get("/", follow_redirects=False)

    assert response.status_code == 307
    assert response.headers["location"] == "/ui"
