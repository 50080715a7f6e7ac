"""Who may open which URL: one rule per URL name, the access matrix's table.

A rule names the people allowed (see ``PERSONAS``), how the URL answers (a page, a JSON API
call, the public site, the admin, a station's token endpoint, the sign-in pages), whether it
changes state (POST only) and where its arguments come from (rows of ``world.World``). A URL
in the URL conf without a rule here fails the matrix: whoever adds an endpoint says who may
use it.

People: ``anon`` (not signed in), ``eve`` (no role), ``stan`` (a station account: the API
with its token only, no pages), ``bob`` (浦东区局, the district of the rows the matrix opens),
``charlie`` (嘉定区局, another district), ``dana`` (评估中心), ``alice`` (市局监管处), ``adam``
(市局管理员), ``erin`` (专家).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

PERSONAS = ("anon", "eve", "stan", "bob", "charlie", "dana", "alice", "adam", "erin")


class Kind(StrEnum):
    PAGE = "page"  # signed-in pages: anonymous is sent to the sign-in page
    API = "api"  # JSON: anonymous gets 401
    PUBLIC = "public"  # the public site: everyone
    STAFF = "staff"  # Django admin: staff accounts only
    TOKEN = "token"  # monitoring stations, by their API token only
    LOGIN = "login"  # sign in / sign out
    ABSENT = "absent"  # answers 404 to everyone


# Who may use the pages at all (context.can_use_pages): city-wide roles and district officers.
PAGES = frozenset({"bob", "charlie", "dana", "alice", "adam", "erin"})
# City-wide roles (市局, 评估中心, 专家).
CITY = frozenset({"dana", "alice", "adam", "erin"})
# The city bureau and the assessment centre (no experts, no districts).
BUREAU = frozenset({"dana", "alice", "adam"})
# Whoever may exchange records (pqrisk.exchange.services.EXCHANGE_ROLES): not experts.
EXCHANGE = frozenset({"bob", "charlie", "dana", "alice", "adam"})
# The city bureau (supervision and administration).
SUPERVISORS = frozenset({"alice", "adam"})
ADMIN = frozenset({"adam"})
# Who reviews record-to-enterprise matches (not experts).
REVIEWERS = EXCHANGE
# Who records supervision measures (pqrisk.supervision.services.MEASURE_ROLES).
MEASURERS = frozenset({"bob", "charlie", "alice", "adam"})
EVERYONE = frozenset(PERSONAS)


@dataclass(frozen=True)
class Rule:
    """``who`` may use the URL; ``scoped`` means its row lies in Pudong, so that charlie
    (another district) is refused even when district officers are allowed in general.
    ``post`` marks URLs that change state and answer POST only. ``args`` maps each URL
    argument to a row of the world (``"pd_warning"`` → its pk) or, after ``=``, a literal."""

    who: frozenset[str]
    kind: Kind = Kind.PAGE
    args: dict[str, str] = field(default_factory=dict)
    scoped: bool = False
    post: bool = False
    # Allowed people are not sent a POST: it would mail, call out or enqueue real work.
    # Only the refusals are checked.
    refusals_only: bool = False
    # Query string (``{key}`` is a world row's pk) and JSON body of the request.
    query: str = ""
    body: dict[str, object] = field(default_factory=dict)

    def allowed(self, persona: str) -> bool:
        if self.scoped and persona == "charlie":
            return False
        return persona in self.who


def page(
    who: frozenset[str],
    post: bool = False,
    scoped: bool = False,
    refusals_only: bool = False,
    **args: str,
) -> Rule:
    return Rule(
        who=who, kind=Kind.PAGE, args=args, scoped=scoped, post=post, refusals_only=refusals_only
    )


def api(
    who: frozenset[str],
    post: bool = False,
    scoped: bool = False,
    query: str = "",
    body: dict[str, object] | None = None,
    **args: str,
) -> Rule:
    return Rule(
        who=who, kind=Kind.API, args=args, scoped=scoped, post=post, query=query, body=body or {}
    )


def pd(key: str, post: bool = False, who: frozenset[str] = PAGES, **more: str) -> Rule:
    """A page of a Pudong row: bob's own district, charlie's another."""
    return Rule(who=who, kind=Kind.PAGE, args={"pk": f"pd_{key}", **more}, scoped=True, post=post)


RECEIPT = {"token": "pd_industry_recipient@receipt_token"}

RULES: dict[str, Rule] = {
    # ---- sign-in, admin, static
    "accounts:login": Rule(EVERYONE, Kind.LOGIN),
    "accounts:logout": Rule(EVERYONE, Kind.LOGIN, post=True),
    "admin:*": Rule(frozenset(), Kind.STAFF),
    # ---- the JSON API (django-ninja, /api/)
    # The API's description is public: stations and partners write their clients from it;
    # it holds no data.
    "api:openapi-json": Rule(EVERYONE, Kind.PUBLIC),
    "api:openapi-view": Rule(EVERYONE, Kind.PUBLIC),
    "api:api-root": Rule(frozenset(), Kind.ABSENT),
    "api:submit_records": api(frozenset({"bob", "charlie", "dana", "adam"}), post=True),
    "api:station_report": Rule(frozenset({"station-token"}), Kind.TOKEN, post=True),
    "api:list_risk_infos": api(PAGES),
    "api:get_risk_info": api(PAGES, scoped=True, info_id="pd_info"),
    "api:list_warnings": api(PAGES),
    "api:get_warning": api(PAGES, scoped=True, warning_id="pd_warning"),
    "api:warning_action": api(
        PAGES, post=True, scoped=True, warning_id="pd_warning", action="=acknowledge"
    ),
    "api:list_tasks": api(PAGES),
    "api:get_task": api(PAGES, scoped=True, task_id="pd_task"),
    "api:task_feedback": api(
        PAGES, post=True, scoped=True, task_id="pd_task", body={"measures": "已约谈企业"}
    ),
    "api:task_action": api(PAGES, post=True, scoped=True, task_id="pd_task", action="=accept"),
    "api:public_advisories": Rule(EVERYONE, Kind.PUBLIC),
    "api:export": api(EXCHANGE),
    "api:import_file": api(EXCHANGE, post=True),
    "api:yrd_export": api(SUPERVISORS, post=True, warning_id="pd_warning"),
    "api:yrd_import": api(ADMIN, post=True),
    "api:enterprise_profile": api(PAGES, scoped=True, enterprise_id="pd_enterprise"),
    "api:map_data": api(PAGES),
    "api:trends": api(PAGES),
    "api:warnings": api(PAGES),
    "api:disposal": api(PAGES),
    "api:matrix": api(PAGES),
    "api:stations": api(PAGES),
    "api:foreign_months": api(PAGES),
    "api:foreign_risks": api(PAGES),
    "api:download": api(PAGES, name="=trends"),
    "api:refresh": api(BUREAU, post=True),
    # ---- experts (专家库, 专家评估)
    "experts:expert_list": page(BUREAU),
    "experts:expert_new": page(BUREAU),
    "experts:expert_detail": page(BUREAU, pk="expert"),
    "experts:expert_edit": page(BUREAU, pk="expert"),
    "experts:case_list": page(BUREAU),
    "experts:case_draw": page(BUREAU, pk="pd_case"),
    "experts:case_panel": page(BUREAU, pk="pd_case"),
    "experts:case_aggregate": page(BUREAU, post=True, pk="pd_case"),
    "experts:case_next_round": page(BUREAU, post=True, pk="pd_case"),
    "experts:case_conclude": page(BUREAU, post=True, pk="pd_case"),
    "experts:respond": page(frozenset({"erin"}), post=True, pk="drawn"),
    "experts:my_tasks": page(frozenset({"erin"})),
    "experts:rate": page(frozenset({"erin"}), pk="drawn"),
    # ---- labs (实验室抽样)
    "labs:task_list": page(PAGES),
    "labs:task_new": page(BUREAU),
    "labs:task_detail": pd("lab_task"),
    "labs:task_purchase": pd("lab_task", who=BUREAU),
    "labs:sample_new": pd("lab_task", who=BUREAU),
    "labs:results_import": pd("lab_task", who=BUREAU),
    "labs:rapid_new": pd("lab_task", who=BUREAU),
    "labs:task_action": pd("lab_task", post=True, who=BUREAU, action="=cancel"),
    "labs:custody_new": pd("sample", who=BUREAU),
    "labs:result_new": pd("sample", who=BUREAU),
    "labs:lead_list": page(PAGES),
    "labs:lead_detail": pd("lead"),
    "labs:lead_action": pd("lead", post=True, action="=close"),
    # ---- meetings (会商研判): the city's
    "meetings:meeting_list": page(CITY),
    "meetings:meeting_new": page(BUREAU),
    "meetings:meeting_detail": page(CITY, pk="meeting"),
    "meetings:agenda_add_case": page(BUREAU, post=True, pk="meeting"),
    "meetings:agenda_add_signal": page(BUREAU, post=True, pk="meeting"),
    "meetings:agenda_remove": page(BUREAU, post=True, pk="meeting", item_pk="agenda"),
    # Experts read the decision form; recording it is refused (POST, checked by the view).
    "meetings:decision_edit": page(CITY, pk="meeting", item_pk="agenda"),
    "meetings:participant_add": page(BUREAU, post=True, pk="meeting"),
    "meetings:participant_attendance": page(
        BUREAU, post=True, pk="meeting", participant_pk="participant"
    ),
    "meetings:minutes": page(BUREAU, post=True, pk="meeting"),
    "meetings:meeting_action": page(BUREAU, post=True, pk="meeting", action="=hold"),
    # ---- warning documents, recipients, photos, receipts
    "warnings:document_docx": pd("warning", mode="=internal_notice"),
    "warnings:document_pdf": pd("warning", mode="=internal_notice"),
    "warnings:add_recipient": pd("warning", post=True, who=BUREAU),
    "warnings:resend_recipient": pd("warning", post=True, who=BUREAU, recipient_pk="pd_recipient"),
    "warnings:targets": pd("warning", post=True, who=BUREAU),
    "warnings:add_photo": pd("warning", post=True, who=BUREAU),
    "warnings:photo": pd("warning", photo_pk="pd_photo"),
    "warnings:remove_photo": pd("warning", post=True, who=BUREAU, photo_pk="pd_photo"),
    # A recipient outside the bureau confirms receipt with the token sent to it.
    "warnings:receipt": Rule(EVERYONE, Kind.PUBLIC, args=RECEIPT),
    "warnings:receipt_document": Rule(EVERYONE, Kind.PUBLIC, args=RECEIPT),
    # ---- knowledge graph
    "graph:page": page(PAGES),
    "graph:export_graphml": page(CITY),
    "graph:export_neo4j": page(CITY),
    "graph:api_nodes": api(PAGES, query="q=电热水壶"),
    "graph:api_neighbourhood": api(PAGES, scoped=True, query="node=enterprise:{pd_enterprise}"),
    "graph:api_correlations": api(PAGES, scoped=True, query="node=case:{pd_case}"),
    "graph:api_case_correlations": api(PAGES, scoped=True, pk="pd_case"),
    "graph:api_enterprise_correlations": api(PAGES, scoped=True, pk="pd_enterprise"),
    "graph:api_product_correlations": api(PAGES, scoped=True, pk="pd_product"),
    "graph:api_patterns": api(PAGES),
    # ---- dead letters (死信任务): the city bureau's administrators and supervisors
    "ops:dead_letter_list": page(SUPERVISORS),
    "ops:dead_letter_detail": page(SUPERVISORS, pk="dead_letter"),
    "ops:dead_letter_retry": page(SUPERVISORS, post=True, refusals_only=True, pk="dead_letter"),
    "ops:dead_letter_discard": page(SUPERVISORS, post=True, pk="dead_letter"),
    # ---- pages (pqrisk/web)
    "web:home": page(PAGES),
    "web:riskinfo_list": page(PAGES),
    "web:riskinfo_detail": pd("info"),
    "web:event_list": page(PAGES),
    "web:event_detail": pd("event"),
    "web:signal_list": page(PAGES),
    "web:signal_detail": pd("signal"),
    "web:signal_dismiss": pd("signal", post=True, who=BUREAU),
    "web:signal_case": pd("signal", post=True, who=BUREAU),
    "web:case_list": page(PAGES),
    "web:case_open": page(BUREAU, post=True),
    "web:case_detail": pd("case"),
    "web:case_evidence": pd("case", post=True, who=BUREAU),
    "web:case_conclude": pd("case", post=True, who=BUREAU),
    "web:case_matrix": pd("case", post=True, who=BUREAU),
    "web:case_suggest": pd("case", post=True, who=BUREAU),
    "web:case_override": pd("case", post=True, who=BUREAU),
    "web:case_warning": pd("case", post=True, who=BUREAU),
    "web:case_report": pd("case"),
    "web:case_action": pd("case", post=True, who=BUREAU, action="=start"),
    "web:assessment_list": page(PAGES),
    "web:assessment_detail": pd("assessment"),
    "web:warning_list": page(PAGES),
    "web:warning_detail": pd("warning"),
    "web:warning_acknowledge": pd("warning", post=True),
    "web:warning_edit": pd("warning", post=True, who=BUREAU),
    "web:warning_update": pd("warning", post=True, who=BUREAU),
    "web:warning_action": pd("warning", post=True, who=BUREAU, action="=withdraw"),
    "web:task_list": page(PAGES),
    "web:disposal_overdue": page(CITY),
    "web:task_detail": pd("task"),
    "web:task_feedback": pd("task", post=True),
    "web:task_reassign": pd("task", post=True, who=SUPERVISORS),
    "web:task_add_route": pd("task", post=True),
    "web:task_route": pd("task", route_pk="pd_route"),
    "web:task_route_result": pd("task", post=True, route_pk="pd_route"),
    "web:task_follow_up": pd("task", post=True, route_pk="pd_route"),
    "web:task_recall_progress": pd("task", post=True, route_pk="pd_route"),
    "web:task_attachment": pd("task", attachment_pk="pd_attachment"),
    "web:task_action": pd("task", post=True, action="=accept"),
    "web:tracking_list": page(PAGES),
    "web:tracking_detail": pd("tracking"),
    "web:tracking_check": pd("tracking", post=True),
    "web:enterprise_list": page(PAGES),
    "web:enterprise_detail": pd("enterprise"),
    "web:station_list": page(CITY),
    "web:station_new": page(SUPERVISORS),
    "web:station_detail": page(CITY, pk="station"),
    "web:station_set_status": page(SUPERVISORS, post=True, pk="station"),
    "web:station_token": page(SUPERVISORS, post=True, pk="station"),
    "web:intake": page(PAGES),
    "web:quarantine_list": page(CITY),
    "web:quarantine_detail": page(CITY, pk="quarantined"),
    "web:quarantine_replay": page(BUREAU, post=True, pk="quarantined"),
    "web:quarantine_dismiss": page(BUREAU, post=True, pk="quarantined"),
    "web:audit_list": page(PAGES),
    "web:public_advisories": Rule(EVERYONE, Kind.PUBLIC),
    "web:public_advisory": Rule(EVERYONE, Kind.PUBLIC, args={"pk": "advisory"}),
    "web:public_photo": Rule(
        EVERYONE, Kind.PUBLIC, args={"pk": "advisory", "photo_pk": "advisory_photo"}
    ),
    "web:advisories_rss": Rule(EVERYONE, Kind.PUBLIC),
    "web:advisories_atom": Rule(EVERYONE, Kind.PUBLIC),
    # Everyone with a page role has an inbox of their own.
    "web:inbox": page(PAGES),
    "web:inbox_read_all": page(PAGES, post=True),
    "web:inbox_email": page(PAGES, post=True),
    "web:inbox_read": page(frozenset({"bob"}), post=True, pk="inbox_entry"),
    "web:inbox_open": page(frozenset({"bob"}), post=True, pk="inbox_entry"),
    "web:delivery_list": page(ADMIN),
    "web:delivery_retry": page(ADMIN, post=True, pk="delivery"),
    "web:exchange_list": page(CITY),
    "web:exchange_import": page(ADMIN, post=True),
    "web:exchange_detail": page(CITY, pk="package"),
    "web:exchange_download": page(SUPERVISORS, pk="package"),
    "web:exchange_export": page(SUPERVISORS, post=True, warning_pk="pd_warning"),
    "web:exchange_partners": page(CITY),
    "web:exchange_partner_active": page(ADMIN, post=True, pk="partner"),
    "web:matching_queue": page(PAGES),
    "web:matching_confirm": page(REVIEWERS, post=True, scoped=True, pk="pd_match"),
    "web:matching_reject": page(REVIEWERS, post=True, scoped=True, pk="pd_match"),
    # 境外通报 (pqrisk/web/foreign.py): every page user sees the queue (a district officer
    # their district's alerts and the unmatched ones); reviewers decide on candidate firms of
    # their district; the assessment centre and the city bureau open cases.
    "web:foreign_list": page(PAGES),
    "web:foreign_export": page(PAGES, fmt="=csv"),
    "web:foreign_review": page(PAGES),
    "web:foreign_detail": pd("foreign_alert"),
    "web:foreign_case": pd("foreign_alert", post=True, who=BUREAU),
    "web:foreign_alias_add": pd("foreign_alert", post=True, who=REVIEWERS),
    "web:foreign_match_confirm": page(REVIEWERS, post=True, scoped=True, pk="pd_foreign_match"),
    "web:foreign_match_reject": page(REVIEWERS, post=True, scoped=True, pk="pd_foreign_match"),
    "web:supervision_grade_list": page(PAGES),
    # A grade's pages are the enterprise's (pk of the enterprise).
    "web:supervision_grade_detail": pd("enterprise"),
    "web:supervision_grade_recompute": pd("enterprise", post=True, who=EXCHANGE),
    "web:supervision_measure_create": pd("enterprise", post=True, who=MEASURERS),
    "web:supervision_measure_list": page(PAGES),
    "web:supervision_plan_list": page(PAGES),
    "web:supervision_plan_create": page(BUREAU, post=True),
    "web:supervision_plan_detail": page(PAGES, pk="plan"),
    "web:supervision_plan_export": page(PAGES, pk="plan"),
    "web:supervision_task_list": page(PAGES),
    "web:supervision_task_close": pd("inspection", post=True),
    "web:communication_list": page(PAGES),
    "web:communication_new": page(CITY),
    "web:communication_detail": page(PAGES, pk="activity"),
    "web:communication_edit": page(CITY, pk="activity"),
    "web:communication_attachment": page(PAGES, pk="activity"),
    "web:dashboard": page(PAGES),
    "web:dashboard_panel": page(PAGES, name="=trends"),
    "web:dashboard_download": page(PAGES, name="=trends", fmt="=csv"),
    "web:bulletin_list": page(PAGES),
    "web:bulletin_new": page(BUREAU),
    # The world's bulletin is a draft: district officers see published issues only.
    "web:bulletin_detail": page(CITY, pk="bulletin"),
    "web:bulletin_edit": page(BUREAU, post=True, pk="bulletin"),
    "web:bulletin_regenerate": page(BUREAU, post=True, pk="bulletin"),
    "web:bulletin_download": page(CITY, pk="bulletin", number="=1", fmt="=docx"),
    "web:bulletin_action": page(SUPERVISORS | {"dana"}, post=True, pk="bulletin", action="=submit"),
}
