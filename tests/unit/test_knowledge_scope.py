"""Scope rules on their own: who sees an article, and which of one topic's answers wins."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.ports import KnowledgeScope
from knowledge.articles import ArticleRecord
from knowledge.scope import article_specificity, in_scope, lance_filter, most_specific_per_topic

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
HERE = KnowledgeScope("nw-berlin", "Northwind", "eu", "en-GB", NOW)


def article(article_id: str = "x/returns", **scope) -> ArticleRecord:
    return ArticleRecord(article_id, 1, scope.pop("store_id", None), scope.pop("language", None),
                         "Returns", "Within 30 days.", **scope)  # fmt: skip


def test_empty_scope_fields_mean_all_and_set_ones_must_match():
    assert in_scope(article(), HERE)
    assert in_scope(article(store_id="nw-berlin", brand="Northwind", language="en"), HERE)
    assert not in_scope(article(store_id="nw-paris"), HERE)
    assert not in_scope(article(brand="Dragon"), HERE)
    assert not in_scope(article(region="us"), HERE)
    assert not in_scope(article(language="zh"), HERE)


def test_an_article_is_only_valid_inside_its_window():
    assert not in_scope(article(valid_until=NOW), HERE)
    assert not in_scope(article(valid_from=NOW + timedelta(seconds=1)), HERE)
    assert in_scope(
        article(valid_from=NOW - timedelta(days=1), valid_until=NOW + timedelta(1)), HERE
    )


def test_named_campaigns_restrict_and_no_campaign_list_means_every_running_one():
    sale = article(campaign="black-friday")
    assert in_scope(sale, HERE)
    assert not in_scope(
        sale, KnowledgeScope("nw-berlin", "Northwind", "eu", "en", NOW, frozenset())
    )
    assert in_scope(
        sale, KnowledgeScope("nw-berlin", "Northwind", "eu", "en", NOW, frozenset({"black-friday"}))
    )


def test_the_filter_quotes_values_and_keeps_all_rows_of_an_empty_field():
    where = lance_filter(KnowledgeScope("o'brien", "B", "eu", "zh-CN", NOW))
    assert "store_id IN ('o''brien', '')" in where
    assert "language IN ('zh', '')" in where
    assert f"valid_from <= {int(NOW.timestamp() * 1_000_000)}" in where


def test_store_beats_brand_beats_region_beats_global_and_a_campaign_beats_them_all():
    ranked = [
        article("all/returns"),
        article("eu/returns", region="eu"),
        article("brand/returns", brand="Northwind"),
        article("store/returns", store_id="nw-berlin"),
    ]
    [(winner, group)] = most_specific_per_topic(ranked, lambda a: a.topic, article_specificity)
    assert winner.id == "store/returns" and len(group) == 4

    campaign = article("brand/bf/returns", brand="Northwind", campaign="black-friday")
    [(winner, _)] = most_specific_per_topic(
        [*ranked, campaign], lambda a: a.topic, article_specificity
    )
    assert winner.id == "brand/bf/returns"


def test_different_topics_stay_separate_in_rank_order():
    ranked = [article("all/shipping"), article("s/returns", store_id="s"), article("all/returns")]
    resolved = most_specific_per_topic(ranked, lambda a: a.topic, article_specificity)
    assert [w.id for w, _ in resolved] == ["all/shipping", "s/returns"]
