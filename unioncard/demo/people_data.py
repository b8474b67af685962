"""Tables behind the demo people: names, regions, mobile prefixes, addresses.

Split from ``people.py`` (the generator) so that each reads on its own.
"""

from __future__ import annotations

import random
from bisect import bisect
from itertools import accumulate

MALE = "男"
FEMALE = "女"


class _Weighted:
    """Weighted choice from fixed items by bisecting cumulative weights."""

    __slots__ = ("cum", "items", "total")

    def __init__(self, pairs: list[tuple[object, float]]) -> None:
        self.items = [item for item, _ in pairs]
        self.cum = list(accumulate(weight for _, weight in pairs))
        self.total = self.cum[-1]

    def pick(self, rng: random.Random):
        return self.items[bisect(self.cum, rng.random() * self.total)]


def _pick(rng: random.Random, seq):
    return seq[int(rng.random() * len(seq))]


# --------------------------------------------------------------------------- names

# Approximate share (per mille) of the most common surnames in China.
_SURNAMES = _Weighted(
    [
        (s, w)
        for s, w in (
            ("王", 71),
            ("李", 70),
            ("张", 67),
            ("刘", 54),
            ("陈", 46),
            ("杨", 31),
            ("黄", 25),
            ("赵", 23),
            ("吴", 20),
            ("周", 19),
            ("徐", 15),
            ("孙", 15),
            ("马", 13),
            ("朱", 13),
            ("胡", 12),
            ("郭", 11),
            ("何", 11),
            ("高", 10),
            ("林", 10),
            ("罗", 9),
            ("郑", 8),
            ("梁", 8),
            ("谢", 6),
            ("宋", 5),
            ("唐", 5),
            ("许", 5),
            ("韩", 5),
            ("冯", 4),
            ("邓", 4),
            ("曹", 4),
            ("彭", 4),
            ("曾", 4),
            ("肖", 4),
            ("田", 4),
            ("董", 4),
            ("袁", 3.5),
            ("潘", 3.5),
            ("于", 3.5),
            ("蒋", 3.5),
            ("蔡", 3.3),
            ("余", 3.2),
            ("杜", 3.1),
            ("叶", 3.1),
            ("程", 3),
            ("苏", 3),
            ("魏", 3),
            ("吕", 3),
            ("丁", 2.8),
            ("任", 2.7),
            ("沈", 2.6),
            ("姚", 2.5),
            ("卢", 2.5),
            ("姜", 2.5),
            ("崔", 2.4),
            ("钟", 2.3),
            ("谭", 2.3),
            ("陆", 2.2),
            ("汪", 2.2),
            ("范", 2.1),
            ("金", 2.1),
            ("石", 2),
            ("廖", 2),
            ("贾", 2),
            ("夏", 2),
            ("韦", 1.9),
            ("付", 1.9),
            ("方", 1.8),
            ("白", 1.8),
            ("邹", 1.7),
            ("孟", 1.7),
            ("熊", 1.7),
            ("秦", 1.7),
            ("邱", 1.7),
            ("江", 1.6),
            ("尹", 1.6),
            ("薛", 1.5),
            ("闫", 1.5),
            ("段", 1.5),
            ("雷", 1.5),
            ("侯", 1.5),
            ("龙", 1.4),
            ("史", 1.4),
            ("陶", 1.3),
            ("黎", 1.3),
            ("贺", 1.3),
            ("顾", 1.3),
            ("毛", 1.3),
            ("郝", 1.2),
            ("龚", 1.2),
            ("邵", 1.2),
            ("万", 1.2),
            ("钱", 1.2),
            ("严", 1.1),
            ("戴", 1.1),
            ("武", 1.1),
            ("莫", 1),
            ("孔", 1),
            ("汤", 1),
            ("欧阳", 1.5),
            ("司马", 0.6),
            ("诸葛", 0.5),
            ("上官", 0.4),
        )
    ]
)

_MALE_GIVEN = (
    "伟强磊军勇杰涛斌超明刚平辉鹏华飞鑫波宇浩凯健俊帆帅旭宁龙林阳建国峰亮成文志海东晨博轩"
    "然泽睿昊天嘉家思宏永德立新春中敏斌杰毅翔鸣晖卫兵荣庆"
)
_FEMALE_GIVEN = (
    "芳娜敏静丽艳娟霞秀玲燕婷雪慧颖琳洁晶倩萍红梅莉兰琴云佳欣怡雨涵诗梦瑶璐悦婧妍彤茜晓文"
    "思雅子薇蕾月菲丹青春琪璇"
)

#: Characters outside GB 2312: 𠮷 (U+20BB7, outside the BMP and GBK), 䶮 (U+4DAE, CJK
#: Ext A), 珺 堃 喆 昇 (in GBK, not in GB 2312).
RARE_CHARACTERS = ("𠮷", "䶮", "珺", "堃", "喆", "昇")

# (name, gender). Fixed minority names used first, so that short lists contain them;
# two are longer than 15 characters.
_FIXED_MINORITY = (
    ("阿不都热依木·买买提", MALE),
    ("古丽娜扎尔·艾则孜", FEMALE),
    ("扎西·多吉", MALE),
    ("阿卜杜热西提·阿卜杜热合曼·买买提", MALE),
    ("热依拉·吐尔逊", FEMALE),
    ("帕尔哈提·阿不都克热木·艾合买提江", MALE),
    ("次仁·旺姆", FEMALE),
    ("迪丽热巴·迪力木拉提", FEMALE),
)
_UYGHUR_MALE = (
    "阿不都热依木",
    "买买提",
    "艾力",
    "努尔艾力",
    "艾合买提江",
    "帕尔哈提",
    "阿卜杜热西提",
    "吐尔逊",
    "艾尔肯",
    "穆合塔尔",
    "亚森",
    "依明",
)
_UYGHUR_FEMALE = (
    "古丽娜扎尔",
    "热依拉",
    "阿依古丽",
    "迪丽热巴",
    "古丽米拉",
    "帕提古丽",
    "祖丽胡玛尔",
    "米热古丽",
    "阿依努尔",
)
_UYGHUR_FATHER = (
    "买买提",
    "艾则孜",
    "阿不都拉",
    "吐尔逊",
    "艾尔肯",
    "迪力木拉提",
    "阿不都热合曼",
    "买买提明",
    "艾合买提江",
    "阿卜杜热合曼",
    "依明",
    "伊力哈木",
    "阿不都克热木",
)
_TIBETAN = (
    ("扎西·多吉", MALE),
    ("丹增·尼玛", MALE),
    ("索朗·次仁", MALE),
    ("格桑·卓玛", FEMALE),
    ("次仁·旺姆", FEMALE),
    ("白玛·央金", FEMALE),
)

_JAPANESE = (
    ("佐藤健", MALE),
    ("铃木一郎", MALE),
    ("高桥直树", MALE),
    ("山本大辉", MALE),
    ("田中美咲", FEMALE),
    ("渡边阳子", FEMALE),
    ("中村优子", FEMALE),
    ("小林拓也", MALE),
)
_KOREAN = (
    ("金敏俊", MALE),
    ("朴志勋", MALE),
    ("郑宇成", MALE),
    ("李智恩", FEMALE),
    ("崔秀妍", FEMALE),
    ("姜惠珍", FEMALE),
)
_ENGLISH = (
    ("约翰·史密斯", MALE),
    ("迈克尔·布朗", MALE),
    ("大卫·米勒", MALE),
    ("詹姆斯·威廉姆斯", MALE),
    ("玛丽·约翰逊", FEMALE),
    ("艾米丽·戴维斯", FEMALE),
    ("莎拉·威尔逊", FEMALE),
    ("奥利维亚·泰勒", FEMALE),
)
_GERMAN = (
    ("托马斯·穆勒", MALE),
    ("斯特凡·施耐德", MALE),
    ("安娜·施密特", FEMALE),
    ("莉娜·菲舍尔", FEMALE),
)
_FRENCH = (
    ("皮埃尔·杜邦", MALE),
    ("让·马丁", MALE),
    ("苏菲·马丁", FEMALE),
    ("卡米耶·贝尔纳", FEMALE),
)


def _ordinary_name(rng: random.Random, gender: str) -> str:
    rand = rng.random
    chars = _MALE_GIVEN if gender == MALE else _FEMALE_GIVEN
    k = len(chars)
    given = chars[int(rand() * k)]
    if rand() < 0.7:
        given += chars[int(rand() * k)]
    return _SURNAMES.pick(rng) + given


def _rare_name(rng: random.Random, gender: str, rare: str) -> str:
    chars = _MALE_GIVEN if gender == MALE else _FEMALE_GIVEN
    r = rng.random()
    if r < 0.4:
        given = rare
    elif r < 0.7:
        given = rare + _pick(rng, chars)
    else:
        given = _pick(rng, chars) + rare
    return _SURNAMES.pick(rng) + given


def _minority_name(rng: random.Random) -> tuple[str, str]:
    if rng.random() < 0.2:
        return _pick(rng, _TIBETAN)
    gender = MALE if rng.random() < 0.5 else FEMALE
    first = _pick(rng, _UYGHUR_MALE if gender == MALE else _UYGHUR_FEMALE)
    name = first + "·" + _pick(rng, _UYGHUR_FATHER)
    if rng.random() < 0.15:
        name += "·" + _pick(rng, _UYGHUR_FATHER)
    return name, gender


# --------------------------------------------------------------------------- regions

_REGIONS = _Weighted(
    [
        # Shanghai (current districts)
        ("310101", 6),
        ("310104", 6),
        ("310105", 4),
        ("310106", 4),
        ("310107", 4),
        ("310109", 3),
        ("310110", 6),
        ("310112", 5),
        ("310113", 4),
        ("310114", 3),
        ("310115", 9),
        ("310116", 1.5),
        ("310117", 3),
        ("310118", 1.5),
        ("310120", 1.5),
        ("310151", 0.5),
        # Shanghai, abolished: 卢湾区 (2011), 闸北区 (2015), 崇明县 (2016)
        ("310103", 1.5),
        ("310108", 1),
        ("310230", 0.7),
        # other provinces
        ("110101", 1),
        ("110105", 1.5),
        ("120101", 0.7),
        ("130102", 0.7),
        ("140105", 0.5),
        ("150102", 0.3),
        ("210102", 0.7),
        ("220102", 0.5),
        ("230102", 0.7),
        ("320102", 2),
        ("320508", 2),
        ("320282", 1),
        ("330106", 2),
        ("330203", 1),
        ("340104", 2),
        ("341102", 1),
        ("341181", 0.8),
        ("350102", 1),
        ("360102", 1),
        ("370102", 1),
        ("410105", 1.5),
        ("420106", 1.5),
        ("430104", 1),
        ("440106", 1),
        ("440305", 1),
        ("450103", 0.4),
        ("460106", 0.2),
        ("500103", 1),
        ("510107", 1.2),
        ("520102", 0.5),
        ("530102", 0.5),
        ("610113", 0.8),
        ("620102", 0.4),
        ("630102", 0.2),
        ("640104", 0.2),
    ]
)
# Minority names come with a Xinjiang or Tibet region code.
_UYGHUR_REGIONS = ("650102", "650103", "650104", "653101", "652901")
_TIBET_REGIONS = ("540102", "540103")

# --------------------------------------------------------------------------- mobiles

_MOBILE_PREFIXES = [
    "130",
    "131",
    "132",
    "133",
    "134",
    "135",
    "136",
    "137",
    "138",
    "139",
    "145",
    "147",
    "150",
    "151",
    "152",
    "153",
    "155",
    "156",
    "157",
    "158",
    "159",
    "166",
    "173",
    "175",
    "176",
    "177",
    "178",
    "180",
    "181",
    "182",
    "183",
    "184",
    "185",
    "186",
    "187",
    "188",
    "189",
    "191",
    "193",
    "195",
    "198",
    "199",
]
_MOBILE_SPACE = len(_MOBILE_PREFIXES) * 100_000_000

# --------------------------------------------------------------------------- addresses

_ROADS = (
    ("黄浦区", ("南京东路", "淮海中路", "西藏中路", "中山南路", "福州路")),
    ("徐汇区", ("漕溪北路", "衡山路", "宜山路", "肇嘉浜路", "虹桥路")),
    ("长宁区", ("延安西路", "天山路", "仙霞路", "长宁路")),
    ("静安区", ("南京西路", "北京西路", "共和新路", "天目西路")),
    ("普陀区", ("中山北路", "曹杨路", "长寿路", "真北路")),
    ("虹口区", ("四川北路", "东大名路", "曲阳路")),
    ("杨浦区", ("黄兴路", "国定路", "政立路", "长阳路", "邯郸路")),
    ("闵行区", ("七莘路", "沪闵路", "剑川路", "莘庄路")),
    ("宝山区", ("牡丹江路", "友谊路", "共和新路")),
    ("嘉定区", ("城中路", "博乐路", "曹安公路")),
    ("浦东新区", ("世纪大道", "张江路", "陆家嘴环路", "川沙路", "浦东南路", "祖冲之路")),
    ("金山区", ("卫零路", "石化大道")),
    ("松江区", ("人民北路", "文诚路", "新松江路")),
    ("青浦区", ("公园路", "华新路")),
    ("奉贤区", ("南桥路", "解放东路")),
    ("崇明区", ("八一路", "城桥镇人民路")),
)


_STREETS = tuple(district + road for district, roads in _ROADS for road in roads)


def _work_address(rng: random.Random) -> str:
    rand = rng.random
    address = f"{_STREETS[int(rand() * len(_STREETS))]}{1 + int(rand() * 1999)}号"
    if rand() < 0.8:
        address = "上海市" + address
    if rand() < 0.3:
        suffix = f"{1 + int(rand() * 29)}楼"
        if len(address) + len(suffix) <= 20:
            address += suffix
    return address
