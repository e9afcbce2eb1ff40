"""Work-order dispatch (接诉即办): a complaint or request is routed to the responsible department.

A weighted keyword table per department; the confidence is the winning department's share of the matched
weight, damped when little matched. Some responsible departments (城管, 生态环境) have no window in the
centre: they are listed here, flagged ``external``, because work orders still go to them.
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel


@dataclass(frozen=True)
class Route:
    department_id: str
    name: str
    keywords: dict[str, float]
    external: bool = False


ROUTES: tuple[Route, ...] = (
    Route(
        "dept.urban_management",
        "云溪县综合行政执法局（城管）",
        {
            "路灯": 3,
            "井盖": 3,
            "占道": 3,
            "违章搭建": 3,
            "违建": 3,
            "乱摆": 3,
            "小摊": 2,
            "摊贩": 2,
            "垃圾": 2,
            "地砖": 3,
            "人行道": 2,
            "广告牌": 3,
            "市容": 3,
            "绿化": 2,
        },
        external=True,
    ),
    Route(
        "dept.hrss",
        "云溪县人力资源和社会保障局",
        {
            "工资": 3,
            "欠薪": 3,
            "拖欠": 2,
            "工钱": 3,
            "劳动合同": 3,
            "社保": 2,
            "加班": 3,
            "辞退": 3,
            "离职证明": 3,
            "用人单位": 2,
            "包工头": 2,
            "农民工": 2,
            "老板": 1,
            "公司": 1,
        },
    ),
    Route(
        "dept.market",
        "云溪县市场监督管理局",
        {
            "过期": 3,
            "假药": 3,
            "假货": 3,
            "缺斤少两": 3,
            "吃出": 3,
            "虫子": 2,
            "价格": 2,
            "标价": 2,
            "质量有问题": 2,
            "商家": 2,
            "网店": 2,
            "超市": 2,
            "办卡": 2,
            "跑路": 1,
            "食品": 2,
            "药店": 2,
            "餐馆的菜": 2,
            "退货": 2,
            "不退": 2,
        },
    ),
    Route(
        "dept.ecology",
        "云溪县生态环境局",
        {
            "排污": 3,
            "污水": 3,
            "偷排": 3,
            "油烟": 3,
            "黑烟": 3,
            "噪音": 3,
            "扰民": 2,
            "焚烧": 3,
            "气味": 3,
            "刺鼻": 3,
            "污染": 3,
            "味道很大": 2,
        },
        external=True,
    ),
    Route(
        "dept.transport",
        "云溪县交通运输局",
        {
            "出租车": 3,
            "拒载": 3,
            "公交": 3,
            "网约车": 3,
            "绕路": 2,
            "客运": 3,
            "班车": 3,
            "超载": 2,
            "村里的路": 3,
            "坑坑洼洼": 2,
            "班线": 3,
            "站点": 1,
        },
    ),
    Route(
        "dept.police_traffic",
        "云溪县公安局交通警察大队",
        {
            "红绿灯": 3,
            "信号灯": 3,
            "乱停车": 3,
            "违停": 3,
            "飙车": 3,
            "交警": 3,
            "消防通道": 2,
            "酒驾": 3,
            "堵": 1,
        },
    ),
    Route(
        "dept.housing",
        "云溪县住房和城乡建设局",
        {
            "物业": 3,
            "漏水": 2,
            "停水": 3,
            "开发商": 3,
            "交房": 3,
            "电梯": 2,
            "房子质量": 3,
            "墙体开裂": 3,
            "维修基金": 3,
            "小区": 1,
        },
    ),
    Route(
        "dept.education",
        "云溪县教育局",
        {"学校": 3, "补课": 3, "老师": 3, "学生": 2, "入学": 3, "学位": 3, "培训机构": 3, "校外": 2},
    ),
    Route("dept.medical_insurance", "云溪县医疗保障局", {"报销": 3, "医保": 3, "住院费用": 2, "冒用": 2}),
    Route("dept.health", "云溪县卫生健康局", {"医院": 3, "医生": 3, "诊所": 3, "无证行医": 3, "护士": 2}),
    Route(
        "dept.civil_affairs", "云溪县民政局", {"养老院": 3, "低保": 3, "殡葬": 3, "救助": 2, "婚姻登记": 2}
    ),
    Route(
        "dept.service_center",
        "云溪县政务服务中心管理办公室",
        {"窗口": 3, "工作人员": 3, "大厅": 3, "排队": 3, "取号机": 3, "办事拖拉": 3, "座位": 2, "态度差": 1},
    ),
)


class Dispatch(BaseModel):
    department_id: str
    department_name: str
    confidence: float
    external: bool = False
    matched: list[str] = []


def classify_complaint(text: str, routes: tuple[Route, ...] = ROUTES) -> Dispatch:
    """Route a complaint; an unmatched text goes to the centre's office with confidence 0."""
    scores: dict[str, float] = {}
    matched: dict[str, list[str]] = {}
    for r in routes:
        for kw, w in r.keywords.items():
            if kw in text:
                scores[r.department_id] = scores.get(r.department_id, 0.0) + w
                matched.setdefault(r.department_id, []).append(kw)
    by_id = {r.department_id: r for r in routes}
    if not scores:
        office = by_id["dept.service_center"]
        return Dispatch(
            department_id=office.department_id,
            department_name=office.name,
            confidence=0.0,
            external=office.external,
        )
    best = max(scores, key=lambda d: (scores[d], -list(by_id).index(d)))
    share = scores[best] / sum(scores.values())
    strength = min(1.0, scores[best] / 3.0)  # one strong keyword is enough evidence
    route = by_id[best]
    return Dispatch(
        department_id=best,
        department_name=route.name,
        confidence=round(share * strength, 3),
        external=route.external,
        matched=matched[best],
    )
