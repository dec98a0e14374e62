"""An independent SQL oracle for the browse views: what a view must show, written by hand."""

from __future__ import annotations

from sqlalchemy.engine import Engine

from desktop.core.view_state import ViewState

SORTS = {
    "users": {
        "id": "u.id",
        "name": "u.name",
        "email": "u.email",
        "organization": "o.name",
        "status": "u.status",
        "is_system": "u.is_system",
        "firebase_id": "u.firebase_id",
        "date_joined": "u.date_joined",
        "last_login": "u.last_login",
        "organization_id": "u.organization_id",
    },
    "plugins": {
        "id": "p.id",
        "title": "p.title",
        "data_source": "p.data_source",
        "organization": "o.name",
        "created_at": "p.created_at",
        "organization_id": "p.organization_id",
    },
    "organizations": {
        "id": "o.id",
        "name": "o.name",
        "users": '(SELECT count(*) FROM "user" x WHERE x.organization_id = o.id)',
    },
}


def contains(column: str, name: str) -> str:
    return f"strpos(lower({column}), lower(%({name})s)) > 0"


def independent_ids(engine: Engine, state: ViewState) -> list[int]:
    """The ids the view must show, by a query written without the query layer."""
    where, params = ["true"], {"term": state.search.strip()}
    has_term = bool(params["term"])
    if state.view == "users":
        frm = 'FROM "user" u JOIN organization o ON o.id = u.organization_id'
        if has_term:
            where.append(
                "("
                + " OR ".join(
                    contains(c, "term")
                    for c in ("u.name", "u.email", "coalesce(u.firebase_id, '')")
                )
                + ")"
            )
        if state.statuses:
            where.append("u.status = ANY(%(statuses)s)")
            params["statuses"] = sorted(state.statuses)
        if state.is_system is not None:
            where.append("u.is_system = %(system)s")
            params["system"] = state.is_system
        for name, col, op in (
            ("joined_from", "date_joined", ">="),
            ("joined_to", "date_joined", "<="),
            ("login_from", "last_login", ">="),
            ("login_to", "last_login", "<="),
        ):
            if getattr(state, name) is not None:
                where.append(f"u.{col} {op} %({name})s")
                params[name] = getattr(state, name)
        if state.organization_id is not None:
            where.append("u.organization_id = %(org)s")
            params["org"] = state.organization_id
        id_col = "u.id"
    elif state.view == "plugins":
        frm = "FROM plugin p JOIN organization o ON o.id = p.organization_id"
        if has_term:
            where.append(contains("p.title", "term"))
        if state.data_source:
            where.append("p.data_source = %(source)s")
            params["source"] = state.data_source
        if state.organization_id is not None:
            where.append("p.organization_id = %(org)s")
            params["org"] = state.organization_id
        id_col = "p.id"
    else:
        frm = "FROM organization o"
        if has_term:
            where.append(contains("o.name", "term"))
        id_col = "o.id"
    sort = SORTS[state.view][state.sort]
    direction = "DESC NULLS FIRST" if state.descending else "ASC NULLS LAST"
    iddir = "DESC" if state.descending else "ASC"
    order = f"{sort} {direction}, {id_col} {iddir}"
    sql = f"SELECT {id_col} {frm} WHERE {' AND '.join(where)} ORDER BY {order}"
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        cur.execute(sql, params)
        return [r[0] for r in cur.fetchall()]
    finally:
        raw.close()
