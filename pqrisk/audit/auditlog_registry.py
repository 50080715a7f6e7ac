"""Which models keep a field-level change history (django-auditlog), and which do not and why.

Two logs, two questions. ``pqrisk.audit.AuditEvent`` answers "who moved this warning from
审核 to 发布 and why" (business events, written by the services). django-auditlog's
``LogEntry`` answers "which fields of this row changed, from what to what, by whom" for every
save of a registered model, including edits in the Django admin.

Only rows a person decides on are registered. Pipeline rows written by the thousand (raw
items, risk infos, screening results, count series, message deliveries) are not: a
signal handler and an extra INSERT per row would slow a million-item load, and their
provenance is the pipeline's own batch and quarantine records.

``tests/security/test_auditlog_registry.py`` fails when a model of a business app is in
neither list, so that a new model is a conscious choice.
"""

from __future__ import annotations

from dataclasses import dataclass

from auditlog.registry import auditlog
from django.apps import apps


@dataclass(frozen=True)
class Tracked:
    """One registered model. ``include`` (when given) limits the logged fields; ``exclude``
    drops secrets and fields that change on every pipeline run; ``m2m`` are logged too."""

    label: str
    exclude: tuple[str, ...] = ()
    include: tuple[str, ...] = ()
    m2m: tuple[str, ...] = ()


TRACKED: tuple[Tracked, ...] = (
    # People, their roles (groups) and districts. The password hash is never logged and a
    # login (last_login) is not a change of the account.
    Tracked("accounts.User", exclude=("password", "last_login"), m2m=("groups",)),
    Tracked("enterprises.Enterprise"),
    # Monitoring stations: the token digest stays out of the log (token_prefix records that
    # a token was issued or revoked); last_report_at moves with every report.
    Tracked("stations.MonitoringStation", exclude=("token_hash", "last_report_at", "score")),
    Tracked(
        "feeds.FeedSubscription",
        include=("name", "url", "site", "interval_minutes", "active", "created_by"),
    ),
    # Assessment cases and the judgements made on them.
    Tracked("assessment.AssessmentCase"),
    Tracked("assessment.CaseEvidence"),
    Tracked("assessment.JudgementOverride"),
    # Experts, draws and ratings.
    Tracked("experts.Expert"),
    Tracked("experts.ExpertDraw"),
    Tracked("experts.DrawnExpert"),
    Tracked("experts.RatingRound"),
    Tracked("experts.ExpertRating"),
    # Warnings and their versions. The linked risk infos can be thousands: not logged.
    Tracked("warnings.Warning", m2m=("target_districts", "target_categories")),
    Tracked("warnings.WarningVersion"),
    # Recipients: who was addressed and who acknowledged; delivery attempts are the
    # notification machinery's, and the receipt token is a credential.
    Tracked(
        "warnings.WarningRecipient",
        exclude=(
            "receipt_token",
            "delivery_status",
            "attempts",
            "last_error",
            "sent_at",
            "delivered_at",
            "read_at",
        ),
    ),
    # Disposal: tasks, routes, feedback and what follows from them.
    Tracked("disposal.DisposalTask"),
    Tracked("disposal.TaskRoute"),
    Tracked("disposal.RecallProgress"),
    Tracked("disposal.TaskReassignment"),
    Tracked("disposal.Feedback"),
    Tracked("disposal.FeedbackAttachment"),
    Tracked("disposal.EnterpriseOutcome"),
    Tracked("disposal.TrackingItem"),
    Tracked("disposal.TrackingCheck"),
    # Laboratory work: sampling, custody, results and leads.
    Tracked("labs.SamplingTask"),
    Tracked("labs.Sample"),
    Tracked("labs.CustodyEntry"),
    Tracked("labs.ResultBatch"),
    Tracked("labs.TestItem"),
    Tracked("labs.RapidTest"),
    Tracked("labs.ViolationLead"),
    # Consultation meetings and their decisions.
    Tracked("meetings.Meeting"),
    Tracked("meetings.AgendaItem"),
    Tracked("meetings.Participant"),
    Tracked("meetings.Decision"),
    # Notification settings of a user.
    Tracked("notifications.Preference"),
    # Yangtze River Delta exchange: partners and the packages sent or received.
    Tracked("exchange.Partner"),
    Tracked("exchange.ExchangePackage", exclude=("content",)),
    # Signals: only their review (the detector updates the statistics on every run).
    Tracked(
        "signals.Signal",
        include=("status", "dismiss_reason", "reviewed_by", "reviewed_at", "case"),
    ),
    # Bulletins: their state and text; the generated data is reproducible from the database.
    Tracked("bulletins.Bulletin", exclude=("data",)),
    Tracked("bulletins.BulletinVersion", exclude=("content",)),
    Tracked("communication.CommunicationActivity"),
    # Supervision by risk: credit grades, spot-check plans, inspections and measures.
    Tracked("supervision.CreditGrade", exclude=("checked_at",)),
    Tracked("supervision.SpotCheckPlan"),
    Tracked("supervision.InspectionTask"),
    Tracked("supervision.SupervisionMeasure"),
)

# Models of business apps deliberately left out, each with the reason.
NOT_TRACKED: dict[str, str] = {
    "enterprises.Product": "created by screening in bulk from risk infos (pipeline rows)",
    "enterprises.ProductBarcode": "catalogue rows imported with their products",
    "enterprises.RecordMatch": "one per risk info and candidate, written by matching; its "
    "review is recorded as an AuditEvent",
    "enterprises.MatchCheck": "pipeline bookkeeping of which risk infos were matched",
    "assessment.Assessment": "one per risk info, computed by the pipeline",
    "warnings.WarningReminder": "clock reminders generated by the deadline task",
    "warnings.DocumentYear": "counter of document numbers per year",
    "warnings.WarningPhoto": "uploads and removals are AuditEvents of the warning (add_photo, "
    "remove_photo); the image itself is not a field to compare",
    "disposal.TaskReminder": "clock reminders generated by the deadline task",
    "notifications.Notification": "message bodies, high volume; their sources are audited",
    "notifications.InboxEntry": "one per recipient and message (deliveries)",
    "notifications.Delivery": "outgoing delivery attempts (deliveries)",
    "signals.DetectionRun": "one per detector run, written by the scheduler",
    "supervision.ProductRiskLevel": "recomputed from the catalogue and records",
    "supervision.PlanEntry": "drawn rows of a spot-check plan (the plan itself is tracked)",
    "supervision.SupervisionTrigger": "detected by the nightly trigger rules",
}

# Apps whose models must each be in TRACKED or NOT_TRACKED. The others hold reference data
# loaded from versioned files (reference), the logs themselves (audit) or pipeline and
# summary rows (intake, screening, dashboard).
BUSINESS_APPS: tuple[str, ...] = (
    "accounts",
    "enterprises",
    "stations",
    "feeds",
    "assessment",
    "experts",
    "warnings",
    "disposal",
    "labs",
    "meetings",
    "notifications",
    "exchange",
    "signals",
    "bulletins",
    "communication",
    "supervision",
)


def register_models() -> None:
    """Register every model of ``TRACKED`` with django-auditlog (from AuditConfig.ready)."""
    for tracked in TRACKED:
        auditlog.register(
            apps.get_model(tracked.label),
            include_fields=list(tracked.include) or None,
            exclude_fields=list(tracked.exclude) or None,
            m2m_fields=set(tracked.m2m) or None,
        )
