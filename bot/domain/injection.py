"""Prompt-injection signals in customer text (and in back-office notes a model may read).

Customer text is data. Detection never decides anything in the customer's favour: a flagged
message only goes to a lead, and the policy, tools and route a model sees never depend on
what the text asks for. Patterns are families (override, role play, fake system turns,
prompt leaking, tool abuse) in English and Chinese rather than exact attack strings.
"""

from __future__ import annotations

import re
import unicodedata

_EN = r"(?<![A-Za-z])"
_FAMILIES: dict[str, tuple[str, ...]] = {
    "override": (
        _EN + r"(?:ignore|disregard|forget|skip|override|bypass)\b[^.\n]{0,40}?"
        r"\b(?:previous|prior|above|earlier|preceding|following|all|any|your|the|these|those|system)\b"
        r"[^.\n]{0,30}?\b(?:instructions?|prompts?|rules?|directions?|guidelines?|polic(?:y|ies)|context)",
        _EN + r"(?:new|updated|real|actual)\s+instructions?\s*[:：]",
        _EN + r"(?:stop|halt)\s+everything",
        _EN + r"nevermind\.?\s+ignore",
        _EN + r"from\s+now\s+on[, ]+(?:you|always|only|never)",
        "忽略(?:之前|以上|上面|前面|所有|先前|你的|一切)",
        "无视(?:之前|以上|上面|前面|所有|先前|你的|一切)",
        "忘记(?:之前|以上|上面|前面|所有|你的)(?:的)?(?:指令|指示|规则|设定|提示)",
        "(?:新的|最新)(?:指令|指示)[:：]",
        "不要(?:管|理会)(?:之前|以上|上面)",
    ),
    "role_play": (
        _EN + r"pretend\s+(?:to\s+be|you(?:'re|\s+are))\s+",
        _EN + r"(?:act|behave)\s+(?:as|like)\s+(?:if\s+you|an?\s+(?:ai|assistant|bot|admin)\b|"
        r"the\s+(?:store\s+owner|owner|manager|admin|developer|system)\b)",
        _EN + r"you\s+are\s+(?:now|no\s+longer)\b",
        _EN + r"role\s*-?\s*play",
        _EN + r"\bDAN\b|do\s+anything\s+now",
        _EN + r"developer\s+mode|jailbreak",
        "(?:假装|扮演|假设你是|你现在是|角色扮演)",
        "开发者模式|越狱",
    ),
    "fake_system": (
        r"(?:^|\n)\s*(?:\[|<\|?|###\s*)?(?:system|assistant|developer)(?:\]|\|?>|\s*:)",
        r"<\|im_start\|>|<\|im_end\|>|<\|system\|>|\[/?INST\]|<<SYS>>",
        r"\b(?:system|admin(?:istrator)?)\s+(?:message|override|prompt|notice)\s*[:：]",
        "(?:系统|管理员)(?:消息|指令|提示|通知)[:：]",
        r"[【\[](?:系统|管理员|system|admin)[】\]]",
    ),
    "prompt_leak": (
        _EN + r"(?:print|reveal|show|repeat|spell\s*check|output|tell\s+me)\s+"
        r"(?:\w+\s+){0,3}(?:system\s+prompt|instructions|initial\s+prompt|hidden\s+prompt)",
        "(?:输出|显示|告诉我|重复|打印)(?:你的)?(?:系统提示|提示词|指令|设定)",
    ),
    "tool_abuse": (
        _EN + r"(?:call|invoke|execute)\s+(?:the\s+)?(?:\w+\s+)?(?:function|tool)s?\b",
        _EN + r"(?:issue|approve|process|grant|send)\s+(?:a\s+|the\s+|me\s+a\s+)?(?:full\s+)?"
        r"refund\s+(?:immediately|now|automatically|without)",
        _EN + r"(?:mark|set)\s+(?:this|the|my)\s+order\s+(?:as\s+)?(?:refunded|paid|cancell?ed)",
        "(?:调用|执行)(?:函数|工具|接口)",
        "(?:直接|立即|马上)(?:给我)?(?:退款|打款|赔偿)(?:不要|无需|不用)(?:审核|审批|人工)",
    ),
    "output_hijack": (
        _EN + r"(?:just|only)\s+(?:say|print|output|write|respond\s+with|reply\s+with)\s*[\"'“:]",
        "(?:只|仅)(?:需|要)?(?:回复|输出|说|打印)[\"'“:：]",
    ),
}
_COMPILED = {
    family: re.compile("|".join(f"(?:{p})" for p in patterns), re.IGNORECASE)
    for family, patterns in _FAMILIES.items()
}
_INVISIBLE = re.compile("[\u200b-\u200f\u2060-\u2064\ufeff]")


def normalize(text: str) -> str:
    """Fold full-width letters and drop zero-width characters attackers hide words with."""
    return _INVISIBLE.sub("", unicodedata.normalize("NFKC", text))


def injection_signals(text: str) -> tuple[str, ...]:
    """Names of the attack families present; empty for ordinary customer text."""
    folded = normalize(text)
    return tuple(family for family, rx in _COMPILED.items() if rx.search(folded))
