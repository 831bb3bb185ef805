"""Sentiment of a customer message in English and Chinese: a lexicon with negation and weight.

A lexicon, not a model, because it must run everywhere with no download and explain itself
(the matched words go into evidence). Negators flip the next cue, intensifiers double it, a
clause after "but"/"但是" counts more (what follows it is usually the verdict), and anger cues
(profanity, shouting, "!!!") mark a message as `angry`, which sends it to a lead.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum


class Sentiment(StrEnum):
    NEGATIVE = "negative"
    NEUTRAL = "neutral"
    POSITIVE = "positive"


@dataclass(frozen=True)
class SentimentReading:
    label: Sentiment
    score: float  # sum of cue weights; negative below zero
    angry: bool  # strongly negative: a lead should see it
    cues: tuple[str, ...] = ()


def _lexicon(words: str) -> tuple[str, ...]:
    return tuple(words.split())


_EN_POSITIVE = _lexicon(
    "good great excellent amazing awesome perfect love loved lovely liked happy glad "
    "satisfied pleased thank thanks thx appreciate appreciated helpful fast quick nice "
    "wonderful fantastic beautiful comfortable recommend recommended worth impressed best "
    "smooth easy superb brilliant delighted enjoy enjoyed cool sturdy reliable"
)
_EN_NEGATIVE = _lexicon(
    "bad terrible awful horrible poor worst hate hated disappointed disappointing "
    "disappointment broken broke damaged defective faulty wrong late delayed missing lost "
    "never useless cheap flimsy slow rude annoyed annoying frustrated frustrating upset "
    "unhappy angry furious problem problems issue issues fail failed failure fake scam "
    "unacceptable ridiculous waste wasted complaint complain leaking leak crack cracked "
    "stuck unusable ripoff rip-off worse sucks sucked garbage junk pathetic joke ignored "
    "ignoring nobody crushed smashed shattered"
)
_EN_ANGRY = _lexicon(
    "furious outraged disgusting disgusted pathetic scam scammed scammers fraud ridiculous "
    "unacceptable wtf damn hell shit fuck fucking crap worst idiots incompetent liars"
)
_EN_NEGATORS = {
    "not",
    "no",
    "never",
    "don't",
    "dont",
    "didn't",
    "didnt",
    "isn't",
    "isnt",
    "wasn't",
    "wasnt",
    "doesn't",
    "doesnt",
    "won't",
    "wont",
    "can't",
    "cant",
    "cannot",
    "hardly",
    "without",
    "nor",
    "aren't",
    "arent",
    "haven't",
    "havent",
}
_EN_INTENSIFIERS = {
    "very",
    "so",
    "really",
    "extremely",
    "super",
    "totally",
    "absolutely",
    "completely",
    "incredibly",
    "too",
    "utterly",
    "highly",
}
_EN_CONTRAST = {"but", "however", "though", "although", "yet"}

_ZH_POSITIVE = _lexicon(
    "很好 挺好 真好 太好 非常好 质量好 效果好 不错 满意 喜欢 很棒 棒 赞 优秀 完美 好评 推荐 "
    "值得 划算 实惠 舒服 舒适 漂亮 好看 好用 方便 很快 发货快 物流快 速度快 挺快 及时 耐心 "
    "热情 专业 感谢 谢谢 多谢 开心 高兴 惊喜 物美价廉 性价比高 结实 清晰 流畅 稳定 精致 "
    "正品 给力 靠谱 周到 贴心 超值 喜爱 好吃 好穿 合身 五星 回购 物超所值 还可以 挺不错 "
    "做工好 手感好 音质好 服务好 态度好 包装好 完好 很值 满分 超赞 实用 精美 细致 大气 "
    "柔软 顺滑 灵敏 省电 好闻 耐用 清楚"
)
_ZH_NEGATIVE = _lexicon(
    "差评 太差 很差 真差 好差 质量差 差劲 较差 比较差 失望 垃圾 坏 坏了 破损 损坏 烂 慢 "
    "太慢 不满 不满意 糟糕 难用 难看 后悔 假货 骗 骗子 投诉 质量问题 故障 瑕疵 划痕 漏 "
    "异味 味道大 发热 卡顿 掉色 起球 缩水 不值 一般般 生气 愤怒 气死 恶心 欺骗 敷衍 态度差 "
    "不行 没用 无语 郁闷 坑 坑人 残次 错发 少发 漏发 延误 丢件 失败 不好 不能用 用不了 "
    "劣质 粗糙 山寨 死机 退货了 再也不 不会再买 上当 难闻 刺鼻 做工差 发错 没收到 收不到 "
    "破了 裂了 裂痕 断了 掉漆 褪色 起皮 开线 脱胶 变形 耗电 费电 噪音大 别买 千万别 不值得 "
    "差劲 太贵 偏贵 失灵 没反应 坏掉"
)
_ZH_ANGRY = _lexicon(
    "垃圾 骗子 气死 恶心 欺骗 坑人 无耻 滚 黑心 奸商 太过分 忍无可忍 投诉你们 曝光 什么破"
)
_ZH_NEGATORS = ("不", "没", "没有", "别", "未", "毫无", "并非", "毫不", "并不", "不太", "不是")
_ZH_INTENSIFIERS = _lexicon("很 非常 太 特别 超级 超 极 十分 真 好 挺 相当 巨")
_ZH_CONTRAST = ("但是", "但", "可是", "不过", "然而", "就是")

_EN_WORD = re.compile(r"[a-z]+(?:['-][a-z]+)?")
_CJK = re.compile(r"[\u4e00-\u9fff]")
_SHOUT = re.compile(r"\b[A-Z]{4,}\b")

NEGATIVE_AT = -0.5
POSITIVE_AT = 0.5
NEGATION = -0.75  # "not good" is bad, "not bad" is fairly good: a flip, a little weaker
ANGRY_AT = -4.0


def read_sentiment(text: str) -> SentimentReading:
    en_score, en_cues, en_angry = _english(text)
    zh_score, zh_cues, zh_angry = _chinese(text) if _CJK.search(text) else (0.0, [], False)
    score = en_score + zh_score
    exclaims = text.count("!") + text.count("！")
    shouting = len(_SHOUT.findall(text)) >= 2
    angry = en_angry or zh_angry or score <= ANGRY_AT
    if score < 0 and (exclaims >= 3 or shouting):
        angry = True
    if score <= NEGATIVE_AT or angry:
        label = Sentiment.NEGATIVE
    elif score >= POSITIVE_AT:
        label = Sentiment.POSITIVE
    else:
        label = Sentiment.NEUTRAL
    return SentimentReading(label, round(score, 2), angry, tuple(en_cues + zh_cues))


def _english(text: str) -> tuple[float, list[str], bool]:
    words = _EN_WORD.findall(text.lower())
    score, cues, angry = 0.0, [], False
    weight = 1.0
    for i, word in enumerate(words):
        if word in _EN_CONTRAST:
            weight = 1.5
            score *= 0.5  # what came before the "but" counts less
            continue
        polarity = 1.0 if word in _EN_POSITIVE else -1.0 if word in _EN_NEGATIVE else 0.0
        if word in _EN_ANGRY:
            angry = True
            polarity = polarity or -1.0
        if not polarity:
            continue
        window = words[max(0, i - 3) : i]
        if any(w in _EN_NEGATORS for w in window):
            polarity *= NEGATION
        if any(w in _EN_INTENSIFIERS for w in window[-2:]):
            polarity *= 2
        score += polarity * weight
        cues.append(word)
    return score, cues, angry


def _chinese(text: str) -> tuple[float, list[str], bool]:
    score, cues, angry = 0.0, [], False
    taken: set[int] = set()
    contrast = [m.end() for w in _ZH_CONTRAST for m in re.finditer(w, text)]
    lexicon = [(w, 1.0) for w in _ZH_POSITIVE] + [(w, -1.0) for w in _ZH_NEGATIVE]
    # Longest words first, so "不满意" wins over "满意" and "太差" over "差".
    for word, polarity in sorted(lexicon, key=lambda item: -len(item[0])):
        for match in re.finditer(re.escape(word), text):
            span = set(range(match.start(), match.end()))
            if span & taken:
                continue
            taken |= span
            value = polarity
            before = text[max(0, match.start() - 3) : match.start()]
            if any(n in before[-2:] for n in _ZH_NEGATORS):
                value = NEGATION * polarity
            if any(before.endswith(i) for i in _ZH_INTENSIFIERS):
                value *= 2
            after_contrast = any(match.start() >= c for c in contrast)
            # What comes before a "但是" counts less, as in English.
            weight = 1.5 if after_contrast else 0.5 if contrast else 1.0
            score += value * weight
            cues.append(word)
            if word in _ZH_ANGRY:
                angry = True
    angry = angry or any(w in text for w in _ZH_ANGRY)
    return score, cues, angry
