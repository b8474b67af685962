"""Finding members by name: the same answers as "the name contains the text" for names of
two to four characters (and longer), on SQLite and on PostgreSQL, where a search of two or
more characters goes through the bigram index (unioncard/members/search.py)."""

from __future__ import annotations

import random

import pytest
from sqlalchemy import func, select, text

from tests.world import build_world, login
from unioncard.extensions import db
from unioncard.members.models import Member
from unioncard.members.search import bigrams, name_matches

NAMES = ["张伟", "张伟明", "李张伟", "伟张", "欧阳娜娜", "王伟", "张三伟", "阿依古丽·买买提", "伟"]
QUERIES = ["张伟", "伟", "张伟明", "欧阳娜", "娜娜", "伟张", "古丽·买", "张 伟", "三伟", "赵钱"]


@pytest.fixture
def named(ctx):
    build_world(members_per_union=5)
    members = db.session.scalars(select(Member).order_by(Member.id)).all()
    assert len(members) > len(NAMES)
    for member, name in zip(members, NAMES, strict=False):
        member.name = name
    db.session.commit()
    return {m.id: m.name for m in db.session.scalars(select(Member))}


def test_name_search_answers_what_contains_the_text(client, named):
    headers = login(client, "city_admin")
    for q in QUERIES:
        r = client.get("/api/admin/v1/members", query_string={"name": q, "page_size": 100},
                       headers=headers)  # fmt: skip
        assert r.status_code == 200, r.get_json()
        expected = {i for i, name in named.items() if q in name}
        assert {m["id"] for m in r.get_json()} == expected, q
    # the text's pieces in order: 张伟 finds 张伟, 张伟明 and 李张伟, not 伟张 nor 张三伟
    r = client.get("/api/admin/v1/members", query_string={"name": "张伟"}, headers=headers)
    assert sorted(m["name"] for m in r.get_json()) == sorted(["张伟", "张伟明", "李张伟"])


def test_bigrams_cut_as_the_database_does(named):
    assert bigrams("欧阳娜娜") == sorted(["欧阳", "阳娜", "娜娜"])
    assert bigrams("伟") == []
    if db.engine.dialect.name != "postgresql":
        return
    for name in NAMES:
        stored = db.session.scalar(select(func.uc_name_bigrams(name)))
        assert sorted(set(stored)) == bigrams(name), name


def test_two_character_search_uses_the_bigram_index(named):
    """The condition the lists use matches the index expression (with sequential scans priced
    out, as on a city's million rows, the planner takes the index)."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("the bigram index is PostgreSQL's")
    stmt = select(Member.id).where(name_matches("张伟"))
    sql = stmt.compile(db.engine, compile_kwargs={"literal_binds": True})
    db.session.execute(text("SET LOCAL enable_seqscan = off"))
    plan = "\n".join(db.session.scalars(text(f"EXPLAIN {sql}")))
    assert "ix_member_name_bigrams" in plan, plan
    one = select(Member.id).where(name_matches("伟"))
    sql = one.compile(db.engine, compile_kwargs={"literal_binds": True})
    assert "uc_name_bigrams" not in str(sql)


def test_inlined_bigrams_are_the_general_ones(ctx):
    """``uc_name_bigrams`` (for names of up to 9 characters a fixed array the server inlines,
    migration name_bigrams_inlined) gives, element for element and in order, what the
    general body (``uc_name_bigrams_long``, the index's function before) gives: the index
    content is unchanged. Random texts of 0–14 characters of every kind, NULL, the edges."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("the bigram index is PostgreSQL's")
    rng = random.Random(15)
    alphabet = "张伟欧阳娜·买提 \t\\\n\r'\"%_aZ9é\u0301𠮷\U0001f600\u3000"
    texts = ["", "伟", "张伟", "一二三四五六七八九", "一二三四五六七八九十", "一" * 100]
    texts += ["".join(rng.choices(alphabet, k=rng.randint(0, 14))) for _ in range(3000)]
    rows = db.session.execute(
        text(
            "SELECT t, uc_name_bigrams(t), uc_name_bigrams_long(t)"
            " FROM unnest(CAST(:texts AS text[])) AS t"
        ),
        {"texts": texts},
    ).all()
    assert len(rows) == len(texts)
    for t, inlined, general in rows:
        assert inlined == general, t
    assert db.session.scalar(select(func.uc_name_bigrams(None))) is None
    # the server inlines it (no function call per row written to the member table)
    plan = "\n".join(
        db.session.scalars(text("EXPLAIN VERBOSE SELECT uc_name_bigrams(name) FROM member"))
    )
    assert "trim_array" in plan and "uc_name_bigrams(" not in plan, plan
