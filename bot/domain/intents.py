"""Intent examples: the built-in shop set (English and Chinese) and what "no intent" means.

A store may import its own `sentence,label` examples; the built-in set is what a store gets
until it does. `OUT_OF_SCOPE` is both the answer when nothing fits and a label a store may
give to examples of questions it does not handle (they teach the threshold what to reject).
The off-topic sentences below are not a store's data: they are a generic sample of "not a
shop question" that calibrates the threshold when a store gave no negatives of its own.
"""

from __future__ import annotations

from dataclasses import dataclass

OUT_OF_SCOPE = "out_of_scope"
OUT_OF_SCOPE_ALIASES = frozenset({"out_of_scope", "oos", "none", "other", "out-of-scope"})


@dataclass(frozen=True)
class IntentExample:
    sentence: str
    label: str


def normalize_label(label: str) -> str:
    clean = label.strip().lower().replace(" ", "_")
    return OUT_OF_SCOPE if clean in OUT_OF_SCOPE_ALIASES else clean


_DEFAULTS: dict[str, tuple[str, ...]] = {
    "order_status": (
        "Where is my order?",
        "What is the status of my order?",
        "Has my order been shipped yet?",
        "I placed an order last week and have heard nothing",
        "Can you check on order 10423 for me?",
        "When will my order arrive?",
        "我的订单到哪了？",
        "帮我查一下订单状态",
        "我的订单发货了吗",
        "下单好几天了还没有消息",
        "订单什么时候能到",
    ),
    "shipping": (
        "How long does shipping take?",
        "Do you ship to Canada?",
        "How much is delivery?",
        "Which carrier do you use?",
        "Is there free shipping?",
        "Can I get express delivery?",
        "The tracking number does not work",
        "多久发货？",
        "运费多少钱",
        "可以寄到国外吗",
        "用的什么快递",
        "包邮吗",
        "物流信息一直不更新",
    ),
    "return_exchange": (
        "How do I return an item?",
        "Can I exchange this for another colour?",
        "What is your return policy?",
        "I want to send this back",
        "Can I swap it for a different size?",
        "怎么退货？",
        "可以换货吗",
        "退换货政策是什么",
        "我想换一个颜色",
        "收到的东西不喜欢可以退吗",
    ),
    "refund": (
        "I want a refund",
        "When will I get my money back?",
        "Please refund my order",
        "I have not received my refund yet",
        "How long does a refund take?",
        "我要退款",
        "退款什么时候到账",
        "钱什么时候退给我",
        "申请退款",
        "退款还没收到",
    ),
    "cancel": (
        "I want to cancel my order",
        "Can I cancel the order I just placed?",
        "Please cancel my subscription",
        "How do I cancel?",
        "Stop my order, I changed my mind",
        "我想取消订单",
        "怎么取消订单",
        "刚下的单能取消吗",
        "不要了，帮我取消",
    ),
    "product_question": (
        "Is this product waterproof?",
        "What material is it made of?",
        "Is this item in stock?",
        "Does it come in black?",
        "What are the dimensions of this product?",
        "Is it compatible with iPhone?",
        "这个产品防水吗",
        "是什么材质的",
        "还有货吗",
        "有黑色的吗",
        "这款和那款有什么区别",
        "支持蓝牙吗",
    ),
    "size_fit": (
        "What size should I order?",
        "Does this run small or large?",
        "I am 180 cm, which size fits me?",
        "Do you have a size chart?",
        "The shoes are too tight, do they fit true to size?",
        "我穿多大码",
        "尺码偏大还是偏小",
        "有尺码表吗",
        "身高170体重60穿什么码",
        "鞋子合脚吗",
    ),
    "payment": (
        "Which payment methods do you accept?",
        "Can I pay with PayPal?",
        "My payment failed",
        "Was I charged twice?",
        "Can I pay in installments?",
        "Do you accept credit cards?",
        "可以用支付宝吗",
        "支付失败了怎么办",
        "能分期付款吗",
        "怎么付款",
        "被扣了两次钱",
    ),
    "warranty": (
        "How long is the warranty?",
        "Is this covered by warranty?",
        "My device stopped working, can it be repaired?",
        "How do I make a warranty claim?",
        "Do you offer repairs?",
        "保修多久",
        "坏了可以保修吗",
        "怎么申请保修",
        "可以维修吗",
        "质保期是多长时间",
    ),
    "complaint": (
        "This is unacceptable, I am very unhappy",
        "I want to make a complaint",
        "Your service is terrible",
        "The item arrived broken and nobody answers me",
        "I am really disappointed with this purchase",
        "Worst shopping experience ever",
        "我要投诉",
        "你们的服务太差了",
        "收到的东西是坏的，太失望了",
        "质量太差了，非常不满意",
        "客服一直不回复，什么态度",
    ),
    "talk_to_human": (
        "Can I talk to a real person?",
        "I want to speak to a human",
        "Put me through to an agent",
        "Is there someone I can call?",
        "Let me talk to your manager",
        "转人工",
        "我要找人工客服",
        "有没有真人",
        "让你们经理来",
        "可以打电话吗",
    ),
}

# Generic "not a shop question" sentences: calibration negatives only, never a store's data.
OFF_TOPIC_SAMPLES: tuple[str, ...] = (
    "What is the weather like tomorrow?",
    "Tell me a joke",
    "Who won the football match yesterday?",
    "How do I bake sourdough bread?",
    "What is the capital of Australia?",
    "Can you help me with my maths homework?",
    "Write me a poem about the sea",
    "What time is it in Tokyo?",
    "Recommend a good movie for tonight",
    "How many calories are in an apple?",
    "What is the meaning of life?",
    "Translate 'good morning' into French",
    "Who is the president of France?",
    "How do I fix my car's engine?",
    "Set an alarm for 7 am",
    "What's your favourite colour?",
    "Are you a robot?",
    "How tall is Mount Everest?",
    "I love playing the guitar",
    "Do you know any good restaurants nearby?",
    "hello",
    "ok",
    "明天天气怎么样",
    "讲个笑话吧",
    "昨天的比赛谁赢了",
    "怎么做红烧肉",
    "中国的首都是哪里",
    "帮我写一首诗",
    "现在几点了",
    "推荐一部好看的电影",
    "你是机器人吗",
    "附近有什么好吃的",
    "我今天心情不错",
    "这道数学题怎么做",
    "你好",
    "在吗",
)


def default_examples() -> list[IntentExample]:
    return [IntentExample(s, label) for label, sentences in _DEFAULTS.items() for s in sentences]


DEFAULT_INTENTS: tuple[str, ...] = tuple(_DEFAULTS)
