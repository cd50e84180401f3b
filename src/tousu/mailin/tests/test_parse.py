"""Reading mail as Chinese mail programs write it, and mail that is broken or automatic."""

import pytest

from tousu.mailin.charsets import header_decode, text_decode
from tousu.mailin.parse import mail_parse
from tousu.mailin.tests.mails import (
    EXE,
    JPEG,
    SENDER,
    b64,
    encoded_word,
    gbk_mail,
    raw_mail,
    rfc2231,
)


def test_gbk_mail_labelled_gb2312_reads_its_gbk_only_characters():
    # 镕 and 鉷 are GBK, not GB2312: a strict gb2312 reader would garble them.
    raw = gbk_mail(
        subject=encoded_word("朱镕基路鉷记超市卖过期牛奶", "gb2312", "gbk"),
        sender=f"{encoded_word('王镕', 'gb2312', 'gbk')} <{SENDER}>",
        body="镕记超市的牛奶过期了。".encode("gbk"),
    )
    mail = mail_parse(raw)
    assert mail.subject == "朱镕基路鉷记超市卖过期牛奶"
    assert (mail.sender, mail.sender_name) == (SENDER, "王镕")
    assert mail.body == "镕记超市的牛奶过期了。"
    assert mail.problems == []
    assert mail.no_answer == ""


def test_gb18030_four_byte_characters():
    raw = raw_mail(
        subject=encoded_word("𠮷野家的饭有异物", "gb18030"),
        body="𠮷野家的饭里有头发。".encode("gb18030"),
        charset="gb18030",
    )
    mail = mail_parse(raw)
    assert (mail.subject, mail.body) == ("𠮷野家的饭有异物", "𠮷野家的饭里有头发。")


def test_big5_mail_with_the_microsoft_extensions():
    raw = raw_mail(
        subject=encoded_word("消費者投訴：商品價格不實", "big5"),
        sender=f"{encoded_word('陳美玲', 'big5')} <chen@example.tw>",
        body="標價100€，結帳時收了120€。".encode("cp950"),  # € is cp950, not plain big5
        charset="big5",
    )
    mail = mail_parse(raw)
    assert mail.subject == "消費者投訴：商品價格不實"
    assert mail.sender_name == "陳美玲"
    assert mail.body == "標價100€，結帳時收了120€。"
    assert mail.problems == []


def test_utf8_in_raw_headers_and_an_8bit_body():
    raw = raw_mail(
        subject="快递丢件三天无人处理",
        sender=f'"李娜" <{SENDER}>',
        body="快递单号SF1234，三天没有消息。".encode(),
        encoding="8bit",
    )
    mail = mail_parse(raw)
    assert (mail.subject, mail.sender_name) == ("快递丢件三天无人处理", "李娜")
    assert mail.body == "快递单号SF1234，三天没有消息。"


def test_raw_gbk_bytes_in_a_header_are_read():
    raw = raw_mail(subject="空调维修乱收费", encoding="8bit").replace(
        "空调维修乱收费".encode(), "空调维修乱收费".encode("gbk")
    )
    assert mail_parse(raw).subject == "空调维修乱收费"


def test_a_multibyte_character_split_between_two_encoded_words():
    data = "退款被拒绝".encode("gbk")
    subject = f"=?gbk?B?{b64(data[:3])}?=\r\n =?gbk?B?{b64(data[3:])}?="
    assert mail_parse(raw_mail(subject=subject)).subject == "退款被拒绝"


@pytest.mark.parametrize(
    ("data", "text"),
    [("商家拒绝退款".encode(), "商家拒绝退款"), ("商家拒绝退款".encode("gbk"), "商家拒绝退款")],
)
def test_an_unknown_charset_is_read_best_effort_and_noted(data, text):
    mail = mail_parse(raw_mail(body=data, charset="x-unknown"))
    assert mail.body == text
    assert "unknown-charset:x-unknown" in mail.problems


def test_bytes_no_charset_can_read_are_replaced_not_fatal():
    text, problems = text_decode(b"\xff\xfe\xfa\x80\x81", "utf-8")
    assert "\ufffd" in text
    assert "undecodable" in problems


def test_a_declared_charset_that_does_not_fit_is_noted():
    text, problems = text_decode("价格欺诈".encode("gbk"), "utf-8")
    assert text == "价格欺诈"
    assert problems == ["charset-mismatch:utf-8"]


def test_header_decode_keeps_text_around_encoded_words():
    value = f"Re: [TS-20250101-000001] {encoded_word('补充材料', 'gbk')} ok"
    assert header_decode(value)[0] == "Re: [TS-20250101-000001] 补充材料 ok"


def test_malformed_mime_without_its_boundary_still_yields_the_text():
    raw = (
        f"From: {SENDER}\r\nSubject: broken\r\nMessage-ID: <b@x>\r\n"
        'Content-Type: multipart/mixed; boundary="never-used"\r\n\r\n'
    ).encode() + "商场电梯夹伤孩子。".encode()
    mail = mail_parse(raw)
    assert "malformed-mime" in mail.problems
    assert "商场电梯夹伤孩子。" in mail.body


def test_a_broken_base64_part_does_not_crash():
    raw = raw_mail(attachments=[('filename="a.jpg"', b"", "image/jpeg")]).replace(
        b"Content-Transfer-Encoding: base64\r\nContent-Disposition", b"X: y\r\nContent-Disposition"
    )
    raw = raw.replace(b"--=_part_1--", b"@@@not base64!!!\r\n--=_part_1--")
    assert mail_parse(raw).body == "我在超市买的牛奶已经过期三天了。"


def test_attachment_names_in_every_encoding_mailers_use():
    raw = raw_mail(
        attachments=[
            (rfc2231("发票.jpg", "gbk"), JPEG, "image/jpeg"),
            (f'filename="{encoded_word("小票照片.jpg", "gb2312", "gbk")}"', JPEG, "image/jpeg"),
            ('filename="../../etc/passwd.jpg"', JPEG, "image/jpeg"),
            ('filename="a/../b..jpg"', JPEG, "image/jpeg"),
            ("filename*0*=utf-8''%E5%90%88; filename*1*=%E5%90%8C.jpg", JPEG, "image/jpeg"),
            ("", JPEG, "image/jpeg"),
        ]
    )
    mail = mail_parse(raw)
    names = [a.name for a in mail.attachments]
    assert names == [
        "发票.jpg",
        "小票照片.jpg",
        "etc_passwd.jpg",
        "a_._b.jpg",
        "合同.jpg",
        "attachment-6.jpg",
    ]
    assert all(a.data == JPEG for a in mail.attachments)


def test_raw_8bit_attachment_name():
    raw = raw_mail(attachments=[('filename="XX.jpg"', JPEG, "image/jpeg")])
    raw = raw.replace(b'"XX.jpg"', b'"' + "收据.jpg".encode("gbk") + b'"')
    assert mail_parse(raw).attachments[0].name == "收据.jpg"


def test_html_only_mail_is_read_as_text_without_scripts():
    html = (
        "<html><head><style>p{color:red}</style><script>alert(1)</script></head><body>"
        "<p>空调&nbsp;维修</p><p>乱收费<br>200&yen;</p></body></html>"
    )
    mail = mail_parse(raw_mail(body=html.encode("gbk"), charset="gbk", subtype="html"))
    assert mail.body == "空调 维修\n\n乱收费\n200¥"


def test_plain_text_is_chosen_over_its_html_alternative():
    raw = (
        f"From: {SENDER}\r\nSubject: x\r\nMessage-ID: <alt@x>\r\nMIME-Version: 1.0\r\n"
        'Content-Type: multipart/alternative; boundary="a"\r\n\r\n'
        '--a\r\nContent-Type: text/plain; charset="utf-8"\r\n\r\n纯文本\r\n'
        '--a\r\nContent-Type: text/html; charset="utf-8"\r\n\r\n<p>网页</p>\r\n--a--\r\n'
    ).encode()
    assert mail_parse(raw).body == "纯文本"


def test_a_forwarded_mail_keeps_its_text_and_files():
    inner = raw_mail(
        subject=encoded_word("订单确认", "gbk"),
        body="订单号 8823".encode("gbk"),
        charset="gbk",
        attachments=[('filename="receipt.jpg"', JPEG, "image/jpeg")],
    )
    raw = (
        (
            f"From: {SENDER}\r\nSubject: Fwd\r\nMessage-ID: <fw@x>\r\nMIME-Version: 1.0\r\n"
            'Content-Type: multipart/mixed; boundary="o"\r\n\r\n'
            '--o\r\nContent-Type: text/plain; charset="utf-8"\r\n\r\n请看转发的邮件\r\n'
            "--o\r\nContent-Type: message/rfc822\r\n\r\n"
        ).encode()
        + inner
        + b"\r\n--o--\r\n"
    )
    mail = mail_parse(raw)
    assert mail.body.startswith("请看转发的邮件")
    assert "Subject: 订单确认" in mail.body and "订单号 8823" in mail.body
    assert [a.name for a in mail.attachments] == ["receipt.jpg"]


def test_deep_nesting_is_cut_not_crashing():
    depth = 400
    raw = f"From: {SENDER}\r\nSubject: deep\r\nMessage-ID: <d@x>\r\n".encode()
    for level in range(depth):
        raw += f'Content-Type: multipart/mixed; boundary="b{level}"\r\n\r\n--b{level}\r\n'.encode()
    raw += b"Content-Type: text/plain\r\n\r\nhi\r\n"
    mail = mail_parse(raw)
    assert "too-many-parts" in mail.problems


def test_an_executable_is_just_an_attachment_here():
    # The evidence checks refuse it later (services); reading it is harmless.
    mail = mail_parse(raw_mail(attachments=[('filename="photo.jpg"', EXE, "image/jpeg")]))
    assert mail.attachments[0].data == EXE


@pytest.mark.parametrize(
    ("headers", "reason"),
    [
        ({"Auto-Submitted": "auto-replied"}, "auto-submitted"),
        ({"Auto-Submitted": "auto-generated; owner=x"}, "auto-submitted"),
        ({"X-Autoreply": "yes"}, "auto-reply"),
        ({"X-Autorespond": "yes"}, "auto-reply"),
        ({"Precedence": "bulk"}, "bulk"),
        ({"Precedence": "junk"}, "bulk"),
        ({"Precedence": "list"}, "bulk"),
        ({"Precedence": "auto_reply"}, "bulk"),
        ({"List-Id": "<news.example.cn>"}, "list"),
        ({"Return-Path": "<>"}, "bounce"),
        ({"X-Tousu-Key": "complaint:1:v1:received:complainant:email"}, "loop"),
    ],
)
def test_automatic_mail_is_recognised(headers, reason):
    assert mail_parse(raw_mail(headers=headers)).no_answer == reason


def test_auto_submitted_no_is_a_person():
    assert mail_parse(raw_mail(headers={"Auto-Submitted": "no"})).no_answer == ""


@pytest.mark.parametrize(
    "sender",
    [
        "MAILER-DAEMON@mx.example.cn",
        "postmaster@example.cn",
        "Mail Delivery <Mailer-Daemon@qq.com>",
    ],
)
def test_bounces_by_their_sender(sender):
    assert mail_parse(raw_mail(sender=sender)).no_answer == "bounce"


def test_a_delivery_status_report_is_a_bounce():
    raw = (
        f"From: {SENDER}\r\nSubject: x\r\nMessage-ID: <r@x>\r\nMIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="r"\r\n\r\n'
        "--r\r\nContent-Type: text/plain\r\n\r\nfailed\r\n"
        "--r\r\nContent-Type: message/delivery-status\r\n\r\nAction: failed\r\n--r--\r\n"
    ).encode()
    assert mail_parse(raw).no_answer == "report"


def test_the_null_envelope_sender_is_a_bounce():
    assert mail_parse(raw_mail(), envelope_from="").no_answer == "bounce"
    assert mail_parse(raw_mail(), envelope_from=SENDER).no_answer == ""


@pytest.mark.parametrize(
    "subject", ["自动回复: 投诉", "Automatic reply: complaint", "Out of Office"]
)
def test_auto_replies_without_headers_by_their_subject(subject):
    assert mail_parse(raw_mail(subject=encoded_word(subject, "utf-8"))).no_answer == "auto-reply"


def test_a_mail_without_message_id_is_identified_by_its_content():
    raw = raw_mail().replace(b"Message-ID:", b"X-Old-Id:")
    first, again = mail_parse(raw), mail_parse(raw)
    assert first.message_id.startswith("sha256:") and first.message_id == again.message_id
