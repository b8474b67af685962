"""The Chinese messages of the member import, word for word as the clerk will see them.

Texts marked "seed 004" are copied from the Shenzhen guide's error table (or domain §3.1);
the others follow their style for cases the guide does not name.
"""

from __future__ import annotations

import re

from ..members.idcard import ID_TYPES
from ..security.masking import mask_id_number, mask_mobile

# Header block and structure (seed 004)
HEADER_INCOMPLETE = "请把表头内容填写完整！"
UNION_NAME_MISMATCH = "工会名称不匹配！"
INCOME_CODE_INVALID = "职工平均月收入编码错误！"
UNIT_TYPE_INVALID = "单位类型填写错误！"
BRANCH_INVALID = "无效的领卡网点！"
TRANSPORT_CARD_INVALID = "是否加载交通卡请填写【是】或【否】！"

# Name
NAME_REQUIRED = "姓名不能为空！"
NAME_TOO_LONG = "姓名不能超过100个字！"

# ID (seed 004)
ID_LENGTH = "身份证号码格式错误，请填写18位正确的身份证号码！"
ID_LETTER_O = '身份证号码中含有字母"O"，请将其改为数字"0"！'
ID_INVALID = '身份证号码无效，请核对身份证原件,并检查所填数据中是否存在字母"O"！'
COUNTRY_REQUIRED = "证件号码无效或者为非居民身份证时，国家/地区必填！"
ID_TYPE_REQUIRED = "证件号码无效或者为非居民身份证时，证件类型必填！"
BIRTH_DATE_REQUIRED = "证件号码无效或者为非居民身份证时，出生日期必填！"
GENDER_REQUIRED = "非居民身份证时，性别必填！"
ID_TYPE_INVALID = "证件类型填写错误，请填写：" + "、".join(ID_TYPES)
ID_NUMBER_REQUIRED = "证件号码不能为空！"
ID_NUMBER_TOO_LONG = "证件号码不能超过30个字符！"
ID_NUMBER_AS_NUMBER = "证件号码被Excel转换成了数字，请把该列设置为文本格式后重新填写！"
GENDER_MISMATCH = "性别与身份证号码不一致！"
BIRTH_DATE_MISMATCH = "出生日期与身份证号码不一致！"
GENDER_INVALID = "性别请填写【男】或【女】！"
COUNTRY_TOO_LONG = "国家/地区不能超过50个字！"

# Dates
EXPIRY_FORMAT = "证件到期日格式错误，请填写如2030-01-31的日期！"
EXPIRED = "证件已过期，请核对证件到期日！"
BIRTH_DATE_FORMAT = "出生日期格式错误，请填写如1990-01-31的日期！"
BIRTH_DATE_FUTURE = "出生日期不能晚于今天，也不能早于1900年！"
JOIN_DATE_FORMAT = "入会时间格式错误，请填写如2020-01-31的日期！"
JOIN_DATE_FUTURE = "入会时间不能晚于今天！"

# Mobile (seed 004)
MOBILE_REQUIRED = "手机号码不能为空！"
MOBILE_INVALID = "手机号码：{value}为无效手机号，请填写长度为11位数字的有效手机号码。"
MOBILE_FORMULA = (
    "手机号码：{formula}为无效手机号，请填写长度为11位数字的有效手机号码。"
    "（该单元格为公式，请复制后粘贴为值）"
)

# Duplicates in the file and in the database (seed 004)
DUPLICATE_ID = "同第{row}行的{name}证件号码相同。"
DUPLICATE_MOBILE = "同第{row}行的{name}手机号码相同。"
ID_IN_THIS_UNION = "该证件号码在【{org_name}】中已存在！"
ID_IN_THIS_UNION_OTHER_NAME = (
    "该证件号码在【{org_name}】中已存在，但登记的姓名与本行不同，请核对姓名和证件号码！"
)
ID_IN_OTHER_UNION = "该会员身份证已存在于其他工会"
ID_EXISTS = "该证件号码已存在！"
MOBILE_TAKEN = "手机号码：{mobile}已被其他会员使用，请核对！"

# Card application
ADDRESS_INVALID = "工作单位详细地址请填写6至20个汉字（办理会员服务卡必填）！"
ADDRESS_TOO_LONG = "工作单位详细地址不能超过100个字！"
WANTS_CARD_INVALID = "是否办理会员服务卡请填写【是】或【否】！"
REMARK_TOO_LONG = "备注不能超过200个字！"


# Personal data never goes into a stored or answered message in clear (PIPL): values are
# masked where they are put in, and every message is scrubbed once more before it is kept.
_MOBILE_RUN = re.compile(r"(?<![0-9])1[0-9]{10}(?![0-9])")
_ID_RUN = re.compile(r"(?<![0-9A-Za-z])[0-9]{17}[0-9Xx](?![0-9A-Za-z])")


def scrubbed(text: str) -> str:
    """``text`` with any 18-character ID number or 11-digit mobile in it masked."""
    if not any(ch.isdigit() for ch in text):
        return text
    text = _ID_RUN.sub(lambda m: mask_id_number(m.group(0)), text)
    return _MOBILE_RUN.sub(lambda m: mask_mobile(m.group(0)), text)


def mobile_invalid(value: str) -> str:
    return MOBILE_INVALID.format(value=mask_mobile(value))


def mobile_formula(formula: str) -> str:
    return scrubbed(MOBILE_FORMULA.format(formula=formula))


def mobile_taken(mobile: str) -> str:
    return MOBILE_TAKEN.format(mobile=mask_mobile(mobile))
