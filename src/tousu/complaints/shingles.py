"""Complaint texts as sets of shingles and their MinHash signatures, for finding
complaints about the same matter (``complaints.similar``).

Text. The title and description are normalised (NFKC, lower case); generic complaint
vocabulary (要求, 退款, 商家 …) and function characters (的, 了, 在 …) are dropped; the
shingles are the remaining CJK characters one by one, and Latin words and numbers. Only
the first ``TEXT_LIMIT`` characters count, so that long texts do not share most of the
alphabet. Character bigrams and trigrams were tried first: on paraphrases of one matter
their Jaccard similarity is mostly 0.1–0.2, under the plans' threshold of 0.3, while
content characters put paraphrases at 0.3–0.5 and other matters of the same merchant
under 0.25.

Signature. ``NUM_PERM`` independent 32-bit hashes of each shingle (SHAKE-128 output) and
the minimum of each over the text (MinHash): the share of equal positions of two
signatures estimates the Jaccard similarity of the two texts.
"""

from __future__ import annotations

import functools
import hashlib
import operator
import re
import struct
import unicodedata
from collections.abc import Iterable

import numpy as np

from tousu.complaints.search import CJK, CJK_CHAR

NUM_PERM = 128
TEXT_LIMIT = 400

_SIGNATURE = struct.Struct(f"<{NUM_PERM}I")
_LANES = np.dtype("<u4")  # the signature's values: little-endian unsigned 32-bit
_RUN = re.compile(rf"[{CJK}]+|[0-9a-z\u00c0-\u024f]+")
# The fullwidth forms of ASCII and the ideographic space, each one character under NFKC.
_FULLWIDTH = {
    chr(c): unicodedata.normalize("NFKC", chr(c)) for c in [*range(0xFF01, 0xFF5F), 0x3000]
}
_FULLWIDTH_RE = re.compile("[" + "".join(map(re.escape, _FULLWIDTH)) + "]")
# Words nearly every complaint uses, whatever its matter.
_GENERIC_WORDS = (
    "要求 希望 请求 恳请 请 帮忙 尽快 投诉 反映 举报 商家 老板 负责人 客服 购买 买了 "
    "买的 发现 今天 昨天 前天 上午 下午 晚上 当时 现在 已经 一直 没有 不给 拒绝 处理 "
    "问题 联系 电话 部门 有关 相关 监管 查处 退款 退货 赔偿 退还 道歉 消费者 我们 "
    "他们 自己 这个 那个 一个 什么 因为 所以 但是 而且 然后 结果"
)
_GENERIC = sorted(_GENERIC_WORDS.split(), key=len, reverse=True)  # longest first
_FUNCTION_CHARS = frozenset(
    "的了在我是和也就都还有被把给让向从对于与及其这那个们吗呢吧啊很说后时上下中一已到着"
    "去来要会能可以并才又再而但却只"
)


def shingles(title: str, description: str, names: Iterable[str] = ()) -> frozenset[str]:
    """The shingles of a complaint's text (see the module's docstring). ``names`` (the
    merchant) are taken out first: the field compares it already, and every complaint
    about a stall names it, so the text is left to say whether the matter is the same."""
    text = nfkc(f"{title}\n{description}").lower()[:TEXT_LIMIT]
    for name in sorted({n for n in names if n}, key=len, reverse=True):
        text = text.replace(nfkc(name).lower(), " ")
    for word in _GENERIC:
        text = text.replace(word, " ")
    found: set[str] = set()
    for run in _RUN.findall(text):
        if not CJK_CHAR.match(run):
            found.add(run)
        else:
            found.update(run)
    # Function characters are CJK: none is a Latin word or number kept whole above.
    return frozenset(found - _FUNCTION_CHARS)


@functools.lru_cache(maxsize=16384)
def _hashes(shingle: str) -> np.ndarray:
    """The shingle's ``NUM_PERM`` hashes (read-only: the cache shares the array)."""
    digest = hashlib.shake_128(shingle.encode()).digest(_SIGNATURE.size)
    return np.frombuffer(digest, dtype=_LANES)


def signature(found: Iterable[str]) -> bytes:
    """The MinHash signature of a set of shingles; empty for an empty set. The minimum of
    each hash over the shingles is taken by numpy, lane by lane (a tenth of the time of
    128 Python ``min`` calls over the text's shingles)."""
    rows = [_hashes(shingle) for shingle in found]
    if not rows:
        return b""
    return np.minimum.reduce(rows).astype(_LANES, copy=False).tobytes()


def similarity(first: bytes, second: bytes) -> float:
    """The Jaccard similarity of two texts estimated from their signatures; 0 when either
    has nothing to compare."""
    if len(first) != _SIGNATURE.size or len(second) != _SIGNATURE.size:
        return 0.0
    return sum(map(operator.eq, _SIGNATURE.unpack(first), _SIGNATURE.unpack(second))) / NUM_PERM


@functools.lru_cache(maxsize=8192)
def normalised(value: str) -> str:
    """A merchant, product or place as compared: NFKC, lower case, letters, digits and
    CJK characters only (惠民超市（城东店） = 惠民超市城东店)."""
    return "".join(char for char in nfkc(value).lower() if char.isalnum())


def nfkc(text: str) -> str:
    """``unicodedata.normalize("NFKC", text)``, a tenth of its time on Chinese text.

    Chinese text is full of fullwidth punctuation (，：（）), which fails ``normalize``'s
    quick check, so every character was decomposed and composed again (75 µs for a
    complaint). Each such character's compatibility decomposition is one ASCII
    character: replacing them first leaves the string's decomposition, and so its NFKC,
    as they were, and the rest of the text mostly passes the quick check: 7 µs."""
    return unicodedata.normalize(
        "NFKC", _FULLWIDTH_RE.sub(lambda match: _FULLWIDTH[match.group()], text)
    )
