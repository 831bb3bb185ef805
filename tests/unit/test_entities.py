from bot.domain.entities import extract_entities


def test_order_numbers_in_the_shapes_shops_use() -> None:
    assert extract_entities("Where is my order #1042?")["order_numbers"] == ["1042"]
    assert extract_entities("order number: SO-2024-0042 please")["order_numbers"] == [
        "SO-2024-0042"
    ]
    assert extract_entities("我的订单号 20240517 还没发货")["order_numbers"] == ["20240517"]


def test_tracking_email_phone_and_amount() -> None:
    found = extract_entities(
        "Tracking 1Z999AA10123456784, write to ann@example.com or +44 20 7946 0958; "
        "I paid €40.50 and 300元"
    )
    assert found["tracking_numbers"] == ["1Z999AA10123456784"]
    assert found["emails"] == ["ann@example.com"]
    assert found["phones"] == ["+44 20 7946 0958"]
    assert found["amounts"] == ["€40.50", "300元"]


def test_an_order_number_is_not_also_a_phone() -> None:
    found = extract_entities("order #123456789")
    assert found["order_numbers"] == ["123456789"]
    assert found["phones"] == []


def test_every_kind_is_present_even_when_empty() -> None:
    assert extract_entities("hello") == {
        "order_numbers": [],
        "tracking_numbers": [],
        "emails": [],
        "phones": [],
        "amounts": [],
    }
