"""Reading what proves a mail to be a complainant's: access-code-like tokens in its text,
and ``Authentication-Results`` fields as mail servers write them."""

import pytest

from tousu.mailin.authresults import dmarc_passes, results_parse
from tousu.mailin.proof import MAX_CANDIDATES, code_candidates, code_redact

# As Postfix with OpenDKIM/OpenDMARC, and as rspamd, write them.
OPENDMARC = "mx.market.example.cn; dmarc=pass (p=reject dis=none) header.from=example.cn"
RSPAMD = (
    'mx.market.example.cn; dkim=pass header.d=example.cn header.s=s1 header.b="AbC;d=x";'
    " spf=pass (mx.market.example.cn: domain of a@example.cn designates 1.2.3.4 as"
    " permitted sender) smtp.mailfrom=a@example.cn; dmarc=pass (policy=reject)"
    " header.from=example.cn"
)


def test_a_field_is_read_with_its_comments_and_quoted_values():
    authserv_id, results = results_parse(RSPAMD)
    assert authserv_id == "mx.market.example.cn"
    assert [(r.method, r.result) for r in results] == [
        ("dkim", "pass"),
        ("spf", "pass"),
        ("dmarc", "pass"),
    ]
    assert results[0].properties["header.b"] == "AbC;d=x"  # a ";" inside quotes
    assert results[2].properties == {"header.from": "example.cn"}


@pytest.mark.parametrize(
    ("value", "trusted", "sender", "passes"),
    [
        (OPENDMARC, ["mx.market.example.cn"], "zhang.wei@example.cn", True),
        (RSPAMD, ["MX.Market.example.cn."], "Zhang.Wei@EXAMPLE.CN", True),
        (
            "mx.market.example.cn 1; dmarc=pass header.from=example.cn",
            ["mx.market.example.cn"],
            "a@example.cn",
            True,
        ),
        (OPENDMARC, [], "zhang.wei@example.cn", False),
        (OPENDMARC, ["mx.market.example.cn"], "zhang.wei@sub.example.cn", False),
        ("mx.market.example.cn; none", ["mx.market.example.cn"], "a@example.cn", False),
        ("mx.market.example.cn; dmarc=pass", ["mx.market.example.cn"], "a@example.cn", False),
        (
            "mx.market.example.cn; (dmarc=pass header.from=example.cn)",
            ["mx.market.example.cn"],
            "a@example.cn",
            False,
        ),
        (
            "(mx.market.example.cn); dmarc=pass header.from=example.cn",
            ["mx.market.example.cn"],
            "a@example.cn",
            False,
        ),
        ("", ["mx.market.example.cn"], "a@example.cn", False),
    ],
    ids=[
        "opendmarc",
        "rspamd-any-case",
        "versioned",
        "nothing-trusted",
        "other-domain",
        "no-result",
        "no-header-from",
        "in-a-comment",
        "id-in-a-comment",
        "empty",
    ],
)
def test_dmarc_passes_only_for_a_trusted_server_and_the_senders_domain(
    value, trusted, sender, passes
):
    assert dmarc_passes([value], trusted, sender) is passes


def test_code_candidates_take_labelled_tokens_first_and_are_bounded():
    words = " ".join(f"WXYZ{n:04d}".replace("0", "A").replace("1", "B") for n in range(50))
    text = f"{words}\n> 查询码：vgpadsb4（请妥善保管）\n> ?code=VGPADSB4"
    candidates = code_candidates("Re: [TS-20261206-000001] 补充", text)
    assert candidates[0] == "VGPADSB4" and len(candidates) == MAX_CANDIDATES
    # Not a code: too long, or with letters the codes never use (0, 1, I, L, O).
    assert code_candidates("VGPADSB45 VGPADSB0 20261206 ABCDEFGI") == []


def test_the_code_is_blotted_out_in_any_case():
    text = "?code=VGPADSB4 查询码：vgpadsb4 VGPADSB45"
    assert code_redact(text, ["VGPADSB4"]) == "?code=******** 查询码：******** VGPADSB45"
    assert code_redact(text, []) == text
