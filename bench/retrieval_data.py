"""Synthetic knowledge for the retrieval benchmark: topics written in English and Chinese,
with questions paraphrased from them (not copied), for overlapping scopes."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Topic:
    key: str
    title_en: str
    body_en: str  # "{n}" varies per scope, so overlapping articles differ in substance
    title_zh: str
    body_zh: str
    questions_en: tuple[str, ...]
    questions_zh: tuple[str, ...]


TOPICS = [
    Topic(
        "returns", "Return policy",
        "You can return unworn items within {n} days of delivery. Start the return from "
        "your order page and print the prepaid label.",
        "退货政策", "签收后{n}天内可以退回未穿过的商品，请在订单页面申请退货并打印预付运单。",
        ("Can I send back a jacket that does not fit?", "How long do I have to return something?",
         "I want to give back an item I bought last week"),
        ("衣服不合适可以退吗？", "买的东西多久之内可以退？", "我上周买的商品想退掉"),
    ),
    Topic(
        "shipping", "Delivery times",
        "Orders ship within one business day and arrive in {n} business days with standard "
        "delivery. Express delivery arrives the next day.",
        "配送时间", "订单在一个工作日内发出，标准快递{n}个工作日送达，加急快递次日达。",
        ("When will my parcel arrive?", "How many days does delivery take?",
         "Is there a faster way to get my order?"),
        ("我的包裹什么时候到？", "快递要几天才能送到？", "有没有更快的配送方式？"),
    ),
    Topic(
        "warranty", "Warranty",
        "Every device carries a {n}-month warranty from the delivery date. Water damage and "
        "drops are not covered.",
        "保修政策", "所有设备自签收之日起享受{n}个月保修，进水和摔坏不在保修范围内。",
        ("My headphones stopped working, is that covered?",
         "How long is the guarantee on a laptop?", "Do you repair broken devices for free?"),
        ("耳机坏了可以保修吗？", "笔记本电脑保修多长时间？", "设备坏了能免费修吗？"),
    ),
    Topic(
        "payment", "Payment methods",
        "We accept Visa, Mastercard, PayPal and Apple Pay. Your card is charged when the "
        "order ships; instalments are available above {n} euros.",
        "支付方式", "我们支持支付宝、微信支付和银联卡，订单发货时扣款，满{n}元可以分期付款。",
        ("Can I pay with PayPal?", "Which cards can I use at checkout?",
         "Is it possible to split the payment into instalments?"),
        ("可以用微信付款吗？", "结账时支持哪些付款方式？", "能不能分期付款？"),
    ),
    Topic(
        "sizing", "Size guide",
        "Use the size chart on each product page. Our jeans run small, so order {n} size up "
        "if you are between sizes.",
        "尺码指南", "请参考商品页面的尺码表，我们的牛仔裤偏小，介于两个尺码之间建议大{n}码。",
        ("Should I take a bigger size in jeans?", "How do I know which size fits me?",
         "Do your trousers run small?"),
        ("牛仔裤要买大一号吗？", "我该怎么选尺码？", "你们的裤子偏小吗？"),
    ),
    Topic(
        "cancel", "Cancelling an order",
        "You can cancel an order within {n} hours of placing it from your account page. "
        "After it has shipped, please return it instead.",
        "取消订单", "下单后{n}小时内可以在账户页面取消订单，已发货的订单请走退货流程。",
        ("I ordered by mistake, can I cancel?", "How do I stop an order I just placed?",
         "Is it too late to cancel my purchase?"),
        ("我下错单了能取消吗？", "刚下的订单怎么撤销？", "现在取消订单还来得及吗？"),
    ),
    Topic(
        "giftcards", "Gift cards",
        "Gift cards are sold in amounts from 10 to {n}0 euros, never expire and can be used "
        "online and in our shops.",
        "礼品卡", "礼品卡面额从10元到{n}0元，永久有效，线上线下均可使用。",
        ("Do you sell gift vouchers?", "Does a gift card expire?",
         "Can I use a gift card in the shop?"),
        ("你们有礼品卡卖吗？", "礼品卡会过期吗？", "礼品卡能在实体店用吗？"),
    ),
    Topic(
        "international", "International shipping",
        "We ship to {n} countries. Customs duties outside the EU are paid by the customer on "
        "delivery.",
        "国际配送", "我们可以配送到{n}个国家和地区，海外订单的关税由收件人在签收时支付。",
        ("Do you deliver to Canada?", "Who pays customs fees for orders abroad?",
         "Can you send my order to another country?"),
        ("可以寄到国外吗？", "海外订单的关税谁来付？", "你们支持国际快递吗？"),
    ),
    Topic(
        "exchange", "Exchanges",
        "Exchanges for another size or colour are free within {n} days; we send the new item "
        "as soon as the old one is scanned by the carrier.",
        "换货", "{n}天内可以免费换尺码或颜色，旧商品被快递揽收后我们立即寄出新商品。",
        ("Can I swap my shoes for a different size?", "Is exchanging a colour free?",
         "I want the same shirt in blue instead"),
        ("鞋子可以换个尺码吗？", "换颜色要收费吗？", "我想把这件衬衫换成蓝色的"),
    ),
    Topic(
        "pricematch", "Price match",
        "If you find the same item cheaper within {n} days of buying it, we refund the "
        "difference. Marketplace sellers are excluded.",
        "价格保护", "购买后{n}天内如发现同款商品更便宜，我们退还差价，第三方卖家除外。",
        ("I saw it cheaper elsewhere, can you match the price?",
         "The price dropped after I bought it, do I get money back?",
         "Do you offer price protection?"),
        ("别家更便宜，可以补差价吗？", "我买完就降价了，能退差价吗？", "你们有价格保护吗？"),
    ),
]  # fmt: skip
