"""A synthetic catalogue in English and Chinese, and buyers' questions paraphrased from it.

Each product exists in an English store and, translated, in a Chinese store. Questions are
written the way buyers ask (no copied titles where a paraphrase is natural) and each names
the one product that answers it. Used by `python -m bench.catalog` and by the quality test.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.domain.catalog import Product, Variant


@dataclass(frozen=True)
class Item:
    id: str
    en: tuple[str, str]  # title, description
    zh: tuple[str, str]
    questions_en: tuple[str, ...]
    questions_zh: tuple[str, ...]
    sized: bool = True


ITEMS: tuple[Item, ...] = (
    Item(
        "trail-runner",
        ("Trail Runner Running Shoes", "Grippy outsole for running on mountain paths."),
        ("越野跑鞋", "抓地力强的鞋底，适合山路跑步。"),
        ("do you have shoes for running on mountain trails?", "I need sneakers for trail running"),
        ("有适合山路跑步的鞋吗", "想买一双越野跑步的鞋子"),
    ),
    Item(
        "chelsea-boots",
        ("Chelsea Leather Boots", "Ankle boots in full-grain leather with elastic sides."),
        ("切尔西真皮短靴", "头层牛皮踝靴，两侧松紧带。"),
        ("are there leather ankle boots?", "looking for chelsea boots"),
        ("有真皮的短靴吗", "切尔西靴还有吗"),
    ),
    Item(
        "rain-jacket",
        ("Waterproof Rain Jacket", "Keeps you dry in heavy rain, taped seams, packable hood."),
        ("防水冲锋衣", "大雨中也能保持干爽，压胶接缝，可收纳帽子。"),
        ("something to keep me dry when it rains", "a waterproof coat for hiking in the rain"),
        ("下雨天穿的防水外套", "有防雨的冲锋衣吗"),
    ),
    Item(
        "down-puffer",
        ("Lightweight Down Puffer Jacket", "Warm goose down insulation for cold winter days."),
        ("轻薄羽绒服", "鹅绒填充，冬天保暖。"),
        ("a warm winter jacket filled with down", "do you sell puffer coats?"),
        ("冬天穿的保暖羽绒外套", "有轻薄的羽绒服吗"),
    ),
    Item(
        "merino-sweater",
        ("Merino Wool Crew Sweater", "Soft fine merino knit jumper, crew neck."),
        ("美利奴羊毛圆领毛衣", "柔软的细羊毛针织衫，圆领。"),
        ("a soft wool jumper", "merino knit sweater with round neck"),
        ("柔软的羊毛衫", "有圆领的羊毛毛衣吗"),
    ),
    Item(
        "slim-jeans",
        ("Slim Fit Stretch Jeans", "Denim trousers with a little stretch, slim leg."),
        ("修身弹力牛仔裤", "微弹牛仔长裤，修身版型。"),
        ("stretchy denim trousers, slim cut", "do you have slim jeans?"),
        ("有弹力的修身牛仔裤吗", "想要一条显瘦的牛仔裤"),
    ),
    Item(
        "linen-shirt",
        ("Linen Summer Shirt", "Breathable linen button-up shirt for hot weather."),
        ("亚麻夏季衬衫", "透气亚麻纽扣衬衫，适合炎热天气。"),
        ("a breathable shirt for hot summer days", "linen button-up shirt"),
        ("夏天穿的透气衬衫", "有亚麻衬衫吗"),
    ),
    Item(
        "yoga-leggings",
        ("High Waist Yoga Leggings", "Squat-proof stretchy tights for yoga and gym."),
        ("高腰瑜伽裤", "深蹲不透的弹力紧身裤，适合瑜伽和健身。"),
        ("tights for yoga class", "high waisted gym leggings"),
        ("练瑜伽穿的紧身裤", "健身用的高腰裤子"),
    ),
    Item(
        "laptop-backpack",
        ("Laptop Backpack 20L", "Padded sleeve for a 15 inch laptop, water resistant."),
        ("20升电脑双肩包", "带15寸笔记本电脑保护夹层，防泼水。"),
        ("a rucksack that fits my 15 inch notebook", "backpack for carrying a laptop to work"),
        ("能装15寸笔记本的背包", "上班用的电脑双肩包"),
    ),
    Item(
        "polarized-sunglasses",
        ("Polarized Sunglasses", "UV400 lenses that cut glare from water and snow."),
        ("偏光太阳镜", "UV400镜片，减少水面和雪地反光。"),
        ("shades that reduce glare", "polarised sunglasses with UV protection"),
        ("防紫外线的墨镜", "有偏光的太阳眼镜吗"),
        sized=False,
    ),
    Item(
        "wireless-earbuds",
        (
            "Wireless Bluetooth Earbuds",
            "In-ear headphones with noise cancelling and charging case.",
        ),
        ("无线蓝牙耳机", "入耳式降噪耳机，带充电盒。"),
        ("cordless earphones with noise cancelling", "bluetooth in-ear headphones"),
        ("降噪的无线耳机", "有蓝牙耳机吗"),
        sized=False,
    ),
    Item(
        "usb-c-charger",
        ("65W USB-C Fast Charger", "Wall charger that powers laptops and phones quickly."),
        ("65W快充充电器", "可以快速给笔记本和手机充电的插头。"),
        ("a fast charger for my laptop", "usb-c wall plug 65 watt"),
        ("笔记本快充充电头", "有65瓦的充电器吗"),
        sized=False,
    ),
    Item(
        "fitness-watch",
        (
            "Fitness Smartwatch with Heart Rate",
            "Tracks steps, sleep and heart rate, 7-day battery.",
        ),
        ("心率运动智能手表", "记录步数、睡眠和心率，续航7天。"),
        ("a watch that tracks my heart rate and sleep", "smart watch for workouts"),
        ("能测心率的手表", "运动用的智能手表"),
    ),
    Item(
        "power-bank",
        ("Power Bank 20000mAh", "Portable battery pack to charge your phone on the go."),
        ("20000毫安移动电源", "便携电池，随时给手机充电。"),
        ("a portable battery to charge my phone while travelling", "big capacity power bank"),
        ("出门给手机充电的充电宝", "大容量移动电源"),
    ),
    Item(
        "silk-scarf",
        ("Silk Square Scarf", "Printed pure silk scarf, 90 by 90 cm."),
        ("真丝方巾", "印花桑蚕丝丝巾，90乘90厘米。"),
        ("a pure silk neck scarf", "printed silk square"),
        ("桑蚕丝的丝巾", "有真丝围巾吗"),
        sized=False,
    ),
    Item(
        "baseball-cap",
        ("Cotton Baseball Cap", "Adjustable cotton cap with a curved brim."),
        ("纯棉棒球帽", "可调节的纯棉鸭舌帽，弯檐。"),
        ("an adjustable cap with a brim", "cotton baseball hat"),
        ("鸭舌帽有吗", "纯棉的棒球帽"),
    ),
    Item(
        "swim-shorts",
        ("Quick Dry Swim Shorts", "Board shorts for the beach and pool that dry fast."),
        ("速干沙滩裤", "海边和泳池穿的快干短裤。"),
        ("shorts for swimming at the beach", "quick drying board shorts"),
        ("游泳穿的短裤", "快干的沙滩短裤"),
    ),
    Item(
        "bifold-wallet",
        ("Leather Bifold Wallet", "Slim leather wallet with card slots and coin pocket."),
        ("真皮对折钱包", "超薄皮夹，带卡位和零钱袋。"),
        ("a slim leather purse for cards", "men's bifold wallet"),
        ("放卡的真皮钱包", "对折的皮夹"),
    ),
    Item(
        "floral-dress",
        ("Floral Midi Dress", "Flowing mid-length dress with a flower print."),
        ("碎花中长连衣裙", "飘逸的中长款印花裙子。"),
        ("a summer dress with a flower pattern", "midi length floral frock"),
        ("碎花的连衣裙", "夏天穿的印花长裙"),
    ),
    Item(
        "cotton-pyjamas",
        ("Cotton Pyjama Set", "Soft two-piece sleepwear, long sleeves and trousers."),
        ("纯棉睡衣套装", "柔软的两件套家居服，长袖长裤。"),
        ("comfortable nightwear to sleep in", "cotton pajamas set"),
        ("睡觉穿的纯棉家居服", "有长袖睡衣套装吗"),
    ),
    Item(
        "hiking-socks",
        ("Hiking Socks 3-Pack", "Cushioned wool-blend socks for long walks."),
        ("徒步袜三双装", "加厚羊毛混纺袜，适合长途行走。"),
        ("thick socks for long walks", "three pairs of trekking socks"),
        ("爬山穿的厚袜子", "徒步用的羊毛袜"),
    ),
    Item(
        "steel-bottle",
        ("Insulated Steel Water Bottle", "Keeps drinks cold for 24 hours or hot for 12."),
        ("保温不锈钢水杯", "冷饮保冷24小时，热饮保温12小时。"),
        ("a flask that keeps water cold all day", "insulated drinks bottle"),
        ("能保温的水壶", "不锈钢保温杯"),
    ),
    Item(
        "touch-gloves",
        ("Touchscreen Winter Gloves", "Warm knitted gloves that work with phone screens."),
        ("触屏保暖手套", "可以操作手机屏幕的保暖针织手套。"),
        ("warm gloves I can use my phone with", "winter mittens with touchscreen fingertips"),
        ("冬天能玩手机的手套", "触屏的保暖手套"),
    ),
    Item(
        "canvas-tote",
        ("Canvas Tote Bag", "Sturdy cotton canvas shopping bag with long handles."),
        ("帆布托特包", "结实的纯棉帆布购物袋，长提手。"),
        ("a sturdy cloth shopping bag", "canvas bag to carry groceries"),
        ("买菜用的帆布袋", "有帆布包吗"),
        sized=False,
    ),
)

SIZES = ("S", "M", "L")
COLOURS_EN = ("black", "navy")
COLOURS_ZH = ("黑色", "藏青")


def products(store_id: str, language: str) -> list[Product]:
    """The catalogue in one language; every product has stock in some variant."""
    built: list[Product] = []
    colours = COLOURS_ZH if language == "zh" else COLOURS_EN
    for n, item in enumerate(ITEMS):
        title, description = item.zh if language == "zh" else item.en
        sizes = SIZES if item.sized else ("",)
        variants = tuple(
            Variant(
                id=f"{item.id}-{size or 'one'}-{c}",
                sku=f"SKU-{n:03d}-{size or 'O'}{c}",
                size=size,
                colour=colour,
                price=f"{19 + n * 3}.90",
                currency="CNY" if language == "zh" else "EUR",
                stock=(n + c + len(size)) % 4,
            )
            for size in sizes
            for c, colour in enumerate(colours)
        )
        built.append(
            Product(
                store_id=store_id,
                id=item.id,
                title=title,
                description=description,
                url=f"https://{store_id}.example/products/{item.id}",
                tags=(item.id.split("-")[-1],),
                variants=variants,
            )
        )
    return built


def questions(language: str) -> list[tuple[str, str]]:
    """(question, expected product id) pairs."""
    return [
        (q, item.id)
        for item in ITEMS
        for q in (item.questions_zh if language == "zh" else item.questions_en)
    ]
