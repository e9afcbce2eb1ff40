"""Dialect normalisation: regional words rewritten into Mandarin before retrieval.

The lobby serves a Sichuan county: 咋个办, 莫得工作了, 娃儿上学, 屋头的房子, 身份证搞掉了. The embedding model
and the catalogue speak Mandarin, so such words either carry no signal or a wrong one (屋头 is not 家里 to
BM25). Only words whose Mandarin meaning is unambiguous in a service-centre question are listed; sentence
particles (噻, 嘛, 哈) are dropped. Northeastern and Cantonese-flavoured phrasings citizens also type
(咋整, 点样, 喺边度) are included.
"""

from __future__ import annotations

import re

# dialect word -> Mandarin (longest first when applied)
DIALECT: dict[str, str] = {
    # 西南官话
    "咋个办": "怎么办",
    "咋个": "怎么",
    "啷个": "怎么",
    "啥子": "什么",
    "么子": "什么",
    "莫得": "没有",
    "没得": "没有",
    "娃儿": "孩子",
    "娃娃": "孩子",
    "屋头": "家里",
    "屋里头": "家里",
    "老汉儿": "父亲",
    "婆娘": "妻子",
    "堂客": "妻子",
    "老表": "亲戚",
    "搞掉了": "弄丢了",
    "搞丢了": "弄丢了",
    "整丢了": "弄丢了",
    "遭偷了": "被偷了",
    "晓得": "知道",
    "要得不": "可以吗",
    "要得": "可以",
    "好多钱": "多少钱",
    "好久": "多久",
    "哪个地方": "哪里",
    "耍": "玩",
    # 东北话
    "咋整": "怎么办",
    "啥玩意": "什么",
    "嘎哈": "干什么",
    "俺": "我",
    # 粤语
    "点样": "怎样",
    "喺边度": "在哪里",
    "边度": "哪里",
    "唔该": "请问",
    "冇": "没有",
}
_PATTERN = re.compile("|".join(sorted(map(re.escape, DIALECT), key=len, reverse=True)))
_PARTICLES = re.compile(r"(?<=[\u3400-\u9fff])[噻嘛哈撒](?=[，。？！?!,\s]|$)")


def normalise(text: str) -> str:
    """``text`` with dialect words replaced by Mandarin and sentence-final particles dropped."""
    return _PARTICLES.sub("", _PATTERN.sub(lambda m: DIALECT[m.group(0)], text))
