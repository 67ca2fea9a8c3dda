"""The regledger application: one method per command, each loads, decides and saves once."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, TypeVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError, OperationalError, Recording
from eventsourcing.utils import Environment, EnvType

from application.context import Clock, CommandContext, CommandResult, utc_now
from application.persistence.database import Database
from application.persistence.recorders import IDEMPOTENCY_TABLE, IdempotencyRecord
from application.persistence.store import StoreConfig, library_env
from domain.actor import Actor, Role
from domain.appeal import Appeal, Outcome, Signatory, SubmissionKind
from domain.directive import Directive
from domain.errors import (
    ConcurrencyError,
    DuplicateReferenceError,
    InvalidInputError,
    ModelNameTakenError,
    ModelNotOfProviderError,
    ModelRetiredError,
    NotAddresseeError,
    NotFoundError,
    NotOwnModelError,
    PermissionDeniedError,
    StaleVersionError,
)
from domain.events import aware
from domain.model import Model
from domain.scope import Scope

A = TypeVar("A", bound=Aggregate)

DEFAULT_RESPONSE_DAYS = 30
LOST_RACE = "another command changed the same record first; reload and retry"


class IdempotentReplay(Exception):  # noqa: N818 - a signal, not a failure
    """A command under an already-used Idempotency-Key: carries the first result."""

    def __init__(self, result: CommandResult | None, conflicting: bool) -> None:
        super().__init__("idempotent replay")
        self.result = result
        self.conflicting = conflicting


def require_role(actor: Actor, *roles: Role) -> None:
    """Named rule: the command belongs to certain roles."""
    if actor.role not in roles:
        wanted = " or ".join(str(r) for r in roles)
        raise PermissionDeniedError(f"this command is for a {wanted}; {actor} is not one")


class Regledger(Application):
    """The system of record for directives, appeals and model access."""

    name = "regledger"

    def __init__(
        self,
        store: StoreConfig,
        clock: Clock = utc_now,
        response_days: Mapping[str, int] | None = None,
    ) -> None:
        self.store = store
        self.clock = clock
        self.response_days = dict(response_days or {})
        super().__init__(env=library_env(store))
        self.db = Database(store, self.factory.datastore)  # type: ignore[attr-defined]
        self._listeners: list[Any] = []

    def close(self) -> None:
        """Release the store's connections."""
        self.db.close()
        super().close()

    def construct_env(self, name: str, env: EnvType | None = None) -> Environment:
        """Configuration comes only from the given store settings, never os.environ."""
        return Environment(name, dict(env or {}))

    # --- plumbing ----------------------------------------------------------------------------

    def subscribe_saves(self, listener: Any) -> None:
        """Call `listener()` after each save (wakes in-process projections)."""
        self._listeners.append(listener)

    def _notify(self, recordings: list[Recording[Any]]) -> None:
        for listener in self._listeners:
            listener()

    def _load(self, cls: type[A], aggregate_id: UUID, what: str) -> A:
        try:
            aggregate: Aggregate = self.repository.get(aggregate_id)
        except AggregateNotFoundError:
            raise NotFoundError(f"no {what} {aggregate_id}", field=f"{what}_id") from None
        if not isinstance(aggregate, cls):
            raise NotFoundError(f"no {what} {aggregate_id}", field=f"{what}_id")
        return aggregate

    def _exists(self, aggregate_id: UUID) -> bool:
        return bool(self.events.recorder.select_events(aggregate_id, limit=1))

    def _recorded(self, aggregate_id: UUID, version: int) -> bool:
        """Whether the log holds this version of the aggregate."""
        return bool(
            self.events.recorder.select_events(aggregate_id, gt=version - 1, lte=version, limit=1)
        )

    @staticmethod
    def _check_version(ctx: CommandContext, aggregate: Aggregate) -> None:
        if ctx.expected_version is not None and ctx.expected_version != aggregate.version:
            raise StaleVersionError(
                f"expected version {ctx.expected_version}, current is {aggregate.version}",
                current_version=aggregate.version,
            )

    def _commit(
        self, ctx: CommandContext, primary: Aggregate, *others: Aggregate, **extra: Any
    ) -> CommandResult:
        record = None
        if ctx.idempotency is not None:
            response = json.dumps(
                {"id": str(primary.id), "version": primary.version, **extra}, sort_keys=True
            )
            record = IdempotencyRecord(
                ctx.principal_id,
                ctx.idempotency.key,
                ctx.idempotency.request_hash,
                primary.id,
                primary.version,
                response,
            )
        try:
            recordings = self.save(primary, *others, idempotency=record, caller=ctx.caller_check)
        except IntegrityError:
            self.replay_idempotent(ctx)
            raise ConcurrencyError(LOST_RACE) from None
        except OperationalError:
            # PostgreSQL inserts run in a pipeline, where a clash is now and then reported
            # as "pipeline aborted" instead of its own IntegrityError. Nothing was recorded
            # (the transaction rolled back): answer as for a clash when one is there to see,
            # else the store really failed.
            self.replay_idempotent(ctx)
            if any(self._recorded(a.id, a.version) for a in (primary, *others)):
                raise ConcurrencyError(LOST_RACE) from None
            raise
        position = max(r.notification.id for r in recordings)
        return CommandResult(primary.id, primary.version, position, dict(extra))

    def replay_idempotent(self, ctx: CommandContext) -> None:
        """Raise IdempotentReplay if the context's key was used before."""
        if ctx.idempotency is None:
            return
        row = self.db.fetchone(
            f"SELECT request_hash, aggregate_id, aggregate_version, response "
            f"FROM {IDEMPOTENCY_TABLE} WHERE principal=? AND idem_key=?",
            (ctx.principal_id, ctx.idempotency.key),
        )
        if row is None:
            return
        if row["request_hash"] != ctx.idempotency.request_hash:
            raise IdempotentReplay(None, conflicting=True)
        body = json.loads(row["response"])
        aggregate_id = UUID(row["aggregate_id"])
        position = self.position_of(aggregate_id, row["aggregate_version"])
        extra = {k: v for k, v in body.items() if k not in ("id", "version")}
        result = CommandResult(aggregate_id, row["aggregate_version"], position, extra, True)
        raise IdempotentReplay(result, conflicting=False)

    def position_of(self, aggregate_id: UUID, version: int) -> int:
        """The log position of one recorded event."""
        return self.aggregate_positions(aggregate_id)[version]

    def aggregate_positions(self, aggregate_id: UUID) -> dict[int, int]:
        """The log position of each version of one aggregate."""
        rows = self.db.fetchall(
            f"SELECT originator_version AS version, {self.store.position_column} AS position "
            f"FROM {self.store.events_table} WHERE originator_id=?",
            (self.store.stored_id(aggregate_id),),
        )
        return {int(r["version"]): int(r["position"]) for r in rows}

    def max_position(self) -> int:
        """The position of the last event in the log (0 when empty)."""
        return int(self.recorder.max_notification_id() or 0)

    # --- models ------------------------------------------------------------------------------

    def register_model(self, ctx: CommandContext, name: str, description: str) -> CommandResult:
        """A provider registers a model (one per provider and name)."""
        self.replay_idempotent(ctx)
        require_role(ctx.actor, Role.PROVIDER)
        name = name.strip()
        if not name:
            raise InvalidInputError("name must not be blank", field="name")
        # A taken name surfaces as a clash on the derived id when saving.
        model = Model(
            provider=ctx.actor.org,
            name=name,
            description=description,
            actor=ctx.actor,
            effective_at=ctx.effective(self.clock()),
        )
        try:
            return self._commit(ctx, model)
        except ConcurrencyError:
            raise ModelNameTakenError(
                f"{ctx.actor.org} already has a model named {name!r}"
            ) from None

    def _own_model(self, ctx: CommandContext, model_id: UUID) -> Model:
        require_role(ctx.actor, Role.PROVIDER)
        model = self._load(Model, model_id, "model")
        if model.provider != ctx.actor.org:
            raise NotOwnModelError(f"model {model.name!r} belongs to {model.provider}")
        self._check_version(ctx, model)
        return model

    def _check_links(self, model: Model, directive_id: UUID | None, appeal_id: UUID | None) -> None:
        if directive_id is not None:
            directive = self._load(Directive, directive_id, "directive")
            if directive.provider != model.provider:
                raise InvalidInputError(
                    f"directive {directive.reference} is not addressed to {model.provider}",
                    field="directive_id",
                )
        if appeal_id is not None:
            appeal = self._load(Appeal, appeal_id, "appeal")
            if appeal.appellant != model.provider:
                raise InvalidInputError(
                    f"appeal {appeal_id} is not {model.provider}'s", field="appeal_id"
                )

    def suspend_model(
        self,
        ctx: CommandContext,
        model_id: UUID,
        scope: Scope,
        reason: str,
        directive_id: UUID | None = None,
        appeal_id: UUID | None = None,
    ) -> CommandResult:
        """The provider takes its model offline for a scope."""
        self.replay_idempotent(ctx)
        model = self._own_model(ctx, model_id)
        self._check_links(model, directive_id, appeal_id)
        model.suspend(
            ctx.actor, ctx.effective(self.clock()), scope, reason, directive_id, appeal_id
        )
        return self._commit(ctx, model)

    def restore_model(
        self,
        ctx: CommandContext,
        model_id: UUID,
        scope: Scope,
        reason: str,
        directive_id: UUID | None = None,
        appeal_id: UUID | None = None,
    ) -> CommandResult:
        """The provider brings its model back for a suspended scope."""
        self.replay_idempotent(ctx)
        model = self._own_model(ctx, model_id)
        self._check_links(model, directive_id, appeal_id)
        model.restore(
            ctx.actor, ctx.effective(self.clock()), scope, reason, directive_id, appeal_id
        )
        return self._commit(ctx, model)

    def retire_model(self, ctx: CommandContext, model_id: UUID, reason: str) -> CommandResult:
        """The provider retires its model for good."""
        self.replay_idempotent(ctx)
        model = self._own_model(ctx, model_id)
        model.retire(ctx.actor, ctx.effective(self.clock()), reason)
        return self._commit(ctx, model)

    # --- directives --------------------------------------------------------------------------

    def _check_models(self, provider: str, model_ids: Sequence[UUID]) -> tuple[UUID, ...]:
        if not model_ids:
            raise InvalidInputError("model_ids must name at least one model", field="model_ids")
        for model_id in model_ids:
            try:
                model = self._load(Model, model_id, "model")
            except NotFoundError:
                raise ModelNotOfProviderError(
                    f"model {model_id} does not exist", field="model_ids"
                ) from None
            if model.provider != provider:
                raise ModelNotOfProviderError(
                    f"model {model.name!r} belongs to {model.provider}, not {provider}",
                    field="model_ids",
                )
            if model.retired:
                raise ModelRetiredError(f"model {model.name!r} is retired", field="model_ids")
        return tuple(dict.fromkeys(model_ids))

    def issue_directive(
        self,
        ctx: CommandContext,
        reference: str,
        provider: str,
        model_ids: Sequence[UUID],
        scope: Scope,
        authority: str,
        grounds: str,
        expires_at: datetime | None = None,
    ) -> CommandResult:
        """A regulator orders a provider to restrict access to models."""
        self.replay_idempotent(ctx)
        require_role(ctx.actor, Role.REGULATOR)
        reference = reference.strip()
        if not reference:
            raise InvalidInputError("reference must not be blank", field="reference")
        if self._exists(Directive.create_id(reference)):
            raise DuplicateReferenceError(f"a directive with reference {reference!r} exists")
        ids = self._check_models(provider, model_ids)
        effective_at = ctx.effective(self.clock())
        expires = None if expires_at is None else aware(expires_at, "expires_at")
        Directive.check_issue(scope, effective_at, expires)
        directive = Directive(
            reference=reference,
            regulator=ctx.actor.org,
            provider=provider,
            model_ids=ids,
            scope=scope,
            authority=authority,
            grounds=grounds,
            actor=ctx.actor,
            effective_at=effective_at,
            expires_at=expires,
        )
        try:
            return self._commit(ctx, directive)
        except ConcurrencyError:
            raise DuplicateReferenceError(
                f"a directive with reference {reference!r} exists"
            ) from None

    def _issued_directive(self, ctx: CommandContext, directive_id: UUID) -> Directive:
        require_role(ctx.actor, Role.REGULATOR)
        directive = self._load(Directive, directive_id, "directive")
        directive.check_issuer(ctx.actor)
        self._check_version(ctx, directive)
        return directive

    def amend_directive(
        self,
        ctx: CommandContext,
        directive_id: UUID,
        reason: str,
        scope: Scope | None = None,
        model_ids: Sequence[UUID] | None = None,
        expires_at: datetime | None = None,
    ) -> CommandResult:
        """The issuing regulator narrows or widens a directive."""
        self.replay_idempotent(ctx)
        directive = self._issued_directive(ctx, directive_id)
        ids = None if model_ids is None else self._check_models(directive.provider, model_ids)
        now = self.clock()
        directive.amend(
            ctx.actor,
            now,
            ctx.effective(now),
            reason,
            scope=scope,
            model_ids=ids,
            expires_at=None if expires_at is None else aware(expires_at, "expires_at"),
        )
        return self._commit(ctx, directive)

    def rescind_directive(
        self, ctx: CommandContext, directive_id: UUID, reason: str
    ) -> CommandResult:
        """The issuing regulator withdraws a directive."""
        self.replay_idempotent(ctx)
        directive = self._issued_directive(ctx, directive_id)
        now = self.clock()
        directive.rescind(ctx.actor, now, ctx.effective(now), reason)
        return self._commit(ctx, directive)

    # --- appeals -----------------------------------------------------------------------------

    def file_appeal(
        self,
        ctx: CommandContext,
        directive_id: UUID,
        grounds: str,
        requested_relief: str,
        stay_requested: bool,
    ) -> CommandResult:
        """The addressed provider challenges a directive."""
        self.replay_idempotent(ctx)
        require_role(ctx.actor, Role.PROVIDER)
        directive = self._load(Directive, directive_id, "directive")
        if directive.provider != ctx.actor.org:
            raise NotAddresseeError(
                f"directive {directive.reference} is addressed to {directive.provider}"
            )
        self._check_version(ctx, directive)
        now = self.clock()
        effective_at = ctx.effective(now)
        days = self.response_days.get(directive.regulator, DEFAULT_RESPONSE_DAYS)
        appeal = Appeal(
            directive_id=directive.id,
            appellant=ctx.actor.org,
            regulator=directive.regulator,
            grounds=grounds,
            requested_relief=requested_relief,
            stay_requested=stay_requested,
            respond_by=effective_at + timedelta(days=days),
            actor=ctx.actor,
            effective_at=effective_at,
        )
        directive.lodge_appeal(ctx.actor, now, effective_at, appeal.id)
        return self._commit(ctx, appeal, directive)

    def _open_appeal(self, ctx: CommandContext, appeal_id: UUID) -> Appeal:
        appeal = self._load(Appeal, appeal_id, "appeal")
        self._check_version(ctx, appeal)
        return appeal

    def add_submission(
        self,
        ctx: CommandContext,
        appeal_id: UUID,
        kind: SubmissionKind,
        title: str,
        summary: str,
        signatories: Sequence[Signatory],
        confidential: bool,
        document_sha256: str | None = None,
    ) -> CommandResult:
        """Any principal files evidence, a response or an amicus letter."""
        self.replay_idempotent(ctx)
        appeal = self._open_appeal(ctx, appeal_id)
        appeal.add_submission(
            ctx.actor,
            ctx.effective(self.clock()),
            kind,
            title,
            summary,
            tuple(signatories),
            confidential,
            document_sha256,
        )
        return self._commit(ctx, appeal, number=appeal.submissions)

    def rule_on_stay(
        self, ctx: CommandContext, appeal_id: UUID, granted: bool, reason: str
    ) -> CommandResult:
        """A regulator or adjudicator grants (staying the directive) or denies a stay."""
        self.replay_idempotent(ctx)
        appeal = self._open_appeal(ctx, appeal_id)
        now = self.clock()
        effective_at = ctx.effective(now)
        appeal.rule_on_stay(ctx.actor, effective_at, granted, reason)
        if not granted:
            return self._commit(ctx, appeal)
        directive = self._load(Directive, appeal.directive_id, "directive")
        directive.stay(ctx.actor, now, effective_at, reason, appeal.id)
        return self._commit(ctx, appeal, directive)

    def make_proposal(
        self, ctx: CommandContext, appeal_id: UUID, terms: str, proposed_scope: Scope | None
    ) -> CommandResult:
        """Either party puts terms on the table."""
        self.replay_idempotent(ctx)
        appeal = self._open_appeal(ctx, appeal_id)
        number = appeal.propose(ctx.actor, ctx.effective(self.clock()), terms, proposed_scope)
        return self._commit(ctx, appeal, proposal_no=number)

    def accept_proposal(self, ctx: CommandContext, appeal_id: UUID, number: int) -> CommandResult:
        """The other party agrees to the latest proposal."""
        self.replay_idempotent(ctx)
        appeal = self._open_appeal(ctx, appeal_id)
        appeal.accept(ctx.actor, ctx.effective(self.clock()), number)
        return self._commit(ctx, appeal, proposal_no=number)

    def reject_proposal(
        self, ctx: CommandContext, appeal_id: UUID, number: int, reason: str
    ) -> CommandResult:
        """The other party turns down the latest proposal."""
        self.replay_idempotent(ctx)
        appeal = self._open_appeal(ctx, appeal_id)
        appeal.reject(ctx.actor, ctx.effective(self.clock()), number, reason)
        return self._commit(ctx, appeal, proposal_no=number)

    def decide_appeal(
        self,
        ctx: CommandContext,
        appeal_id: UUID,
        outcome: Outcome,
        reasons: str,
        new_scope: Scope | None = None,
    ) -> CommandResult:
        """The issuing regulator or an adjudicator decides; the directive follows atomically."""
        self.replay_idempotent(ctx)
        appeal = self._open_appeal(ctx, appeal_id)
        now = self.clock()
        effective_at = ctx.effective(now)
        scope = appeal.decide(ctx.actor, effective_at, outcome, reasons, new_scope)
        directive = self._load(Directive, appeal.directive_id, "directive")
        apply_decision(directive, ctx.actor, now, effective_at, appeal.id, outcome, scope)
        return self._commit(ctx, appeal, directive)

    def withdraw_appeal(self, ctx: CommandContext, appeal_id: UUID, reason: str) -> CommandResult:
        """The appellant withdraws; a stay it won is lifted with it."""
        self.replay_idempotent(ctx)
        appeal = self._open_appeal(ctx, appeal_id)
        now = self.clock()
        effective_at = ctx.effective(now)
        appeal.withdraw(ctx.actor, effective_at, reason)
        directive = self._load(Directive, appeal.directive_id, "directive")
        if directive.stayed and directive.state(now) not in ("rescinded", "expired"):
            directive.lift_stay(
                ctx.actor, now, effective_at, f"appeal withdrawn: {reason}", appeal.id
            )
        directive.close_appeal(ctx.actor, effective_at, appeal.id, "withdrawn")
        return self._commit(ctx, appeal, directive)

    # --- reads of one aggregate --------------------------------------------------------------

    def get_model(self, model_id: UUID) -> Model:
        """One model as recorded (for the interfaces' view builders)."""
        return self._load(Model, model_id, "model")

    def get_directive(self, directive_id: UUID) -> Directive:
        """One directive as recorded."""
        return self._load(Directive, directive_id, "directive")

    def get_appeal(self, appeal_id: UUID) -> Appeal:
        """One appeal as recorded."""
        return self._load(Appeal, appeal_id, "appeal")

    def aggregate_events(self, aggregate_id: UUID) -> list[Any]:
        """Every event of one aggregate, in version order."""
        events = list(self.events.get(aggregate_id))
        if not events:
            raise NotFoundError(f"nothing recorded under {aggregate_id}", field="id")
        return events


def apply_decision(
    directive: Directive,
    actor: Actor,
    now: datetime,
    effective_at: datetime,
    appeal_id: UUID,
    outcome: Outcome,
    scope: Scope | None,
) -> None:
    """The workflow: what a decision does to the directive under appeal."""
    live = directive.state(now) not in ("rescinded", "expired")
    if live:
        note = f"appeal decided: {outcome}"
        if outcome == Outcome.OVERTURNED or (scope is not None and scope.is_empty):
            directive.rescind(actor, now, effective_at, note, appeal_id)
        else:
            if directive.stayed:
                directive.lift_stay(actor, now, effective_at, note, appeal_id)
            if scope is not None and scope != directive.scope:
                directive.amend(actor, now, effective_at, note, scope=scope, appeal_id=appeal_id)
    directive.close_appeal(actor, effective_at, appeal_id, str(outcome))
