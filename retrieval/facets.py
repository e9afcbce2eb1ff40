"""Action facets: what the citizen wants done (first issue, reissue, renewal, change, cancellation …).

Most retrieval errors are between sibling matters of the same licence:
身份证首次申领 / 补领 / 换领, 社保卡挂失 / 解挂 / 补领, 个体户设立 / 变更 / 注销.
Both the embedding and BM25 see the licence and barely weigh the action. A question names its action
in everyday words (丢了, 到期了, 不干了, 第一次), a matter in official ones (补领, 换领, 注销, 首次);
each facet lists both sides. The ranker gets two features per candidate: whether the question's
action matches one of the matter's, and whether the matter names a different action than the
question does (``retrieval.ranker``), and learns how much they count.
"""

from __future__ import annotations

from collections.abc import Iterable

# facet -> (citizen cue words in a question, official words in a matter name or alias), space-separated
_FACET_WORDS: dict[str, tuple[str, str]] = {
    "first": (
        "第一次 首次 新办 头回 头一回 头一次 初次 刚满 从来没 新开 想开 准备开",
        "首次 新办 设立 初次 成立 开业",
    ),
    "reissue": (
        "丢 掉了 遗失 不见 找不到 补办 补领 补一 补个 补张 被偷 搞掉 摸走",
        "补领 补办 补发 补证 遗失 补换",
    ),
    "renew": ("到期 过期 期满 有效期 快满 续 延期", "换领 换证 期满 延续 换发 延期 有效期"),
    "damaged": ("烂 坏了 破损 损坏 看不清 模糊 磨损", "损毁 损坏 换领 换发"),
    "change": ("改 变更 换成 更改 搬 变了 换了 不对 错了 增加 减少", "变更 更正 更改"),
    "cancel": (
        "注销 销掉 不干了 不开了 关了 关门 销户 不做了 倒闭 散伙 解散 停业",
        "注销 销户 撤销 停业 歇业",
    ),
    "report_loss": ("挂失 冻结 作废", "挂失"),
    "unlock": ("找到了 找回 翻到 解挂 恢复", "解挂 解除"),
    "transfer": ("转到 转回 转移 迁 转出 转入 过户 卖给 转给", "转移 迁移 迁入 迁出 转出 转入 接续 过户"),
    "query": ("查 打印 开个证明 开证明 记录", "查询 证明 打印"),
}
FACETS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    f: (tuple(cues.split()), tuple(words.split())) for f, (cues, words) in _FACET_WORDS.items()
}


def query_facets(text: str) -> frozenset[str]:
    """The actions a citizen's question asks for."""
    return frozenset(f for f, (cues, _) in FACETS.items() if any(w in text for w in cues))


def matter_facets(names: Iterable[str]) -> frozenset[str]:
    """The actions a matter's name and aliases name."""
    text = "|".join(names)
    return frozenset(f for f, (_, words) in FACETS.items() if any(w in text for w in words))


def facet_scores(
    question: frozenset[str], matters: dict[str, frozenset[str]]
) -> tuple[dict[str, float], dict[str, float]]:
    """(matters whose action matches the question's, matters naming only other actions); both empty
    when the question names no action."""
    if not question:
        return {}, {}
    match = {m: 1.0 for m, f in matters.items() if question & f}
    conflict = {m: 1.0 for m, f in matters.items() if f and not question & f}
    return match, conflict
