//! SYS-4: zh-CN by default, English on request. The choice lives in a cookie (and, when signed
//! in, on the user) so it persists across sessions and devices.

use axum::http::HeaderMap;

use crate::extract::{LANG_COOKIE, cookie};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Zh,
    En,
}

impl Lang {
    pub fn from_code(code: &str) -> Option<Lang> {
        match code {
            "zh-CN" | "zh" => Some(Lang::Zh),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Lang::Zh => "zh-CN",
            Lang::En => "en",
        }
    }

    /// The cookie's language, else zh-CN.
    pub fn of(headers: &HeaderMap) -> Lang {
        cookie(headers, LANG_COOKIE)
            .and_then(|c| Lang::from_code(&c))
            .unwrap_or(Lang::Zh)
    }

    /// The other language, for the switch in the user menu.
    pub fn other(self) -> Lang {
        match self {
            Lang::Zh => Lang::En,
            Lang::En => Lang::Zh,
        }
    }

    /// The UI text for `key`; an unknown key shows itself so a gap is visible, not silent.
    pub fn t<'a>(&self, key: &'a str) -> &'a str {
        match TEXTS.iter().find(|(k, _, _)| *k == key) {
            Some((_, zh, en)) => match self {
                Lang::Zh => zh,
                Lang::En => en,
            },
            None => key,
        }
    }
}

/// `(key, zh-CN, en)`.
const TEXTS: &[(&str, &str, &str)] = &[
    ("app.name", "医械通 CRM", "medcrm"),
    ("nav.home", "工作台", "Home"),
    ("nav.admin", "系统管理", "Administration"),
    ("nav.users", "用户", "Users"),
    ("nav.regions", "区域", "Regions"),
    ("nav.calendar", "工作日历", "Calendar"),
    ("nav.audit", "审计日志", "Audit log"),
    ("nav.customers", "客户", "Customers"),
    ("nav.overdue", "待拜访", "Visits due"),
    ("nav.pipeline", "商机", "Pipeline"),
    ("opp.board", "商机看板", "Pipeline board"),
    ("opp.list", "商机列表", "Opportunity list"),
    ("opp.funnel", "销售漏斗", "Sales funnel"),
    ("opp.new", "新建商机", "New opportunity"),
    (
        "opp.search_hint",
        "商机名称、客户名称或拼音首字母",
        "Title, customer or pinyin initials",
    ),
    ("opp.product_line", "产品线", "Product line"),
    ("opp.only_overdue", "仅看逾期阶段", "Overdue stages only"),
    (
        "opp.drag_help",
        "拖动卡片到其他阶段即可推进商机；不允许的推进会被拒绝并说明原因。",
        "Drag a card to another stage to move it; a move that is not allowed is refused with the reason.",
    ),
    ("opp.due", "截止", "Due"),
    ("opp.stage", "阶段", "Stage"),
    ("opp.title_field", "商机名称", "Title"),
    ("opp.customer", "客户", "Customer"),
    ("opp.amount", "金额", "Amount"),
    (
        "opp.amount_yuan",
        "预计金额（元）",
        "Expected amount (yuan)",
    ),
    ("opp.expected_close", "预计成交", "Expected close"),
    ("opp.history", "阶段记录", "Stage history"),
    ("opp.stage_owner", "阶段负责人", "Stage owner"),
    ("opp.entered", "进入", "Entered"),
    ("opp.left", "离开", "Left"),
    ("opp.move", "推进阶段", "Move to stage"),
    ("opp.to_stage", "推进到", "Move to"),
    ("opp.note", "备注", "Note"),
    ("opp.lost_reason", "丢单原因", "Reason lost"),
    (
        "opp.lost_help",
        "推进到“丢单”时必填",
        "Required when the deal is lost",
    ),
    ("opp.bottleneck", "瓶颈阶段", "Bottleneck"),
    (
        "opp.bottleneck_help",
        "该阶段向下一阶段的转化率最低",
        "the step with the lowest conversion to the next stage",
    ),
    ("opp.reached", "到达数", "Reached"),
    ("opp.conversion", "转化率", "Conversion"),
    ("opp.now", "当前数", "Now"),
    ("opp.avg_days", "平均停留（天）", "Avg. days in stage"),
    (
        "opp.funnel_help",
        "转化率 = 到达下一阶段的商机数 ÷ 到达本阶段的商机数；招投标为可选环节，单独列出。",
        "Conversion = opportunities reaching the next stage ÷ those reaching this one; tender steps are optional and listed separately.",
    ),
    ("opp.stage.lead", "线索", "Lead"),
    ("opp.stage.qualified", "已确认", "Qualified"),
    ("opp.stage.needs_analysis", "需求分析", "Needs analysis"),
    ("opp.stage.proposal", "方案报价", "Proposal / quote"),
    ("opp.stage.tender_announced", "招标公告", "Tender announced"),
    ("opp.stage.bid_submitted", "已投标", "Bid submitted"),
    ("opp.stage.tender_won", "中标", "Tender won"),
    ("opp.stage.tender_lost", "未中标", "Tender lost"),
    ("opp.stage.negotiation", "商务谈判", "Negotiation"),
    ("opp.stage.contract", "合同签订", "Contract"),
    ("opp.stage.won", "赢单", "Won"),
    ("opp.stage.lost", "丢单", "Lost"),
    ("opp.line.large_equipment", "大型设备", "Large equipment"),
    ("opp.line.consumables", "高值耗材", "High-value consumables"),
    ("opp.line.ivd", "体外诊断试剂", "IVD reagents"),
    ("opp.line.service", "维保服务", "Service contracts"),
    ("opp.line.other", "其他", "Other"),
    ("notif.title", "通知", "Notifications"),
    ("notif.read_all", "全部标为已读", "Mark all read"),
    (
        "notif.visit_overdue",
        "拜访已逾期，应于",
        "visit overdue, was due",
    ),
    (
        "notif.stage_overdue",
        "阶段已逾期，截止",
        "stage overdue, was due",
    ),
    ("nav.plans", "开发计划", "Development plans"),
    ("plan.title", "客户开发计划", "Customer development plans"),
    ("plan.new", "新建开发计划", "New development plan"),
    (
        "plan.help",
        "为目标客户制定开发目标、策略、渠道与期限，定期汇报进展，由区域经理点评。",
        "Set a goal, strategy, channel and deadline for target customers, report progress regularly; your manager reviews.",
    ),
    ("plan.goal", "开发目标", "Goal"),
    (
        "plan.goal_hint",
        "例如：拿下心内科彩超更新项目",
        "e.g. win the cardiology ultrasound renewal",
    ),
    ("plan.strategy", "开发策略", "Strategy"),
    ("plan.channel", "开发渠道", "Channel"),
    ("plan.deadline", "期限", "Deadline"),
    ("plan.progress", "进度", "Progress"),
    ("plan.targets", "目标客户", "Target customers"),
    ("plan.timeline", "进展与点评", "Reports and reviews"),
    ("plan.report", "汇报进展", "Report progress"),
    ("plan.review", "经理点评", "Manager review"),
    ("plan.comment", "点评意见", "Comment"),
    ("plan.note.report", "进展", "Report"),
    ("plan.note.review", "点评", "Review"),
    ("plan.verdict.on_track", "进展正常", "On track"),
    ("plan.verdict.needs_work", "需要改进", "Needs work"),
    ("plan.status.active", "进行中", "Active"),
    ("plan.status.completed", "已完成", "Completed"),
    ("plan.status.cancelled", "已取消", "Cancelled"),
    ("plan.channel.phone", "电话", "Phone"),
    ("plan.channel.online", "网络", "Online"),
    ("plan.channel.exhibition", "展会", "Exhibition"),
    ("plan.channel.association", "行业协会", "Association"),
    ("plan.channel.visit", "上门拜访", "Visits"),
    ("cus.title", "客户", "Customers"),
    ("cus.new", "新建客户", "New customer"),
    ("cus.edit", "编辑客户", "Edit customer"),
    (
        "cus.search_hint",
        "名称、拼音首字母（如 bjxh）或信用代码",
        "Name, pinyin initials (e.g. bjxh) or credit code",
    ),
    ("cus.name", "名称", "Name"),
    (
        "cus.credit_code",
        "统一社会信用代码",
        "Unified social credit code",
    ),
    (
        "cus.credit_code_help",
        "18 位，系统会校验末位校验码",
        "18 characters; the check character is verified",
    ),
    ("cus.kind", "类型", "Type"),
    ("cus.level", "医院等级", "Hospital level"),
    ("cus.province", "省份", "Province"),
    ("cus.city", "城市", "City"),
    ("cus.address", "地址", "Address"),
    ("cus.beds", "床位数", "Beds"),
    ("cus.phone", "总机电话", "Switchboard phone"),
    ("cus.region", "所属区域", "Territory"),
    ("cus.owner", "负责销售", "Owner rep"),
    ("cus.grade", "等级", "Grade"),
    ("cus.category", "客户分类", "Category"),
    ("cus.scores", "客户评估（1–5 分）", "Assessment (1–5)"),
    (
        "cus.scores_help",
        "按规模、采购需求、合作意愿评分，系统据此自动分级（ABC）并确定拜访频率",
        "Scored on scale, procurement demand and willingness; the grade (ABC) and visit frequency follow from it",
    ),
    ("cus.scale", "规模", "Scale"),
    ("cus.demand", "采购需求", "Procurement demand"),
    ("cus.willingness", "合作意愿", "Willingness"),
    ("cus.needs", "需求与痛点", "Needs"),
    ("cus.preferences", "偏好", "Preferences"),
    ("cus.procurement_plan", "采购计划", "Procurement plan"),
    ("cus.purchase_history", "采购记录", "Purchase history"),
    (
        "cus.purchase_history_help",
        "采购记录由合同与发货自动生成，合同模块上线后在此显示。",
        "Purchase history is derived from contracts and deliveries and appears here once the contracts module is live.",
    ),
    ("cus.next_visit", "下次拜访", "Next visit due"),
    ("cus.last_visit", "上次拜访", "Last visit"),
    ("cus.overdue", "已逾期", "Overdue"),
    ("cus.only_overdue", "仅看拜访逾期", "Overdue visits only"),
    (
        "cus.overdue_title",
        "拜访逾期的客户",
        "Customers with an overdue visit",
    ),
    (
        "cus.overdue_help",
        "按等级确定拜访频率：A 类每月、B 类每两月、C 类每季度；任何客户至少每季度拜访一次。",
        "Visit frequency follows the grade: A monthly, B every two months, C quarterly; every customer at least once a quarter.",
    ),
    ("cus.completeness", "信息完整度", "Information completeness"),
    ("cus.missing", "待补充", "Still missing"),
    ("cus.info", "基本信息", "Details"),
    ("cus.departments", "科室", "Departments"),
    ("cus.add_department", "添加科室", "Add department"),
    ("cus.contacts", "联系人", "Contacts"),
    ("cus.add_contact", "添加联系人", "Add contact"),
    ("cus.contact_role", "角色", "Role"),
    ("cus.title_field", "职务", "Title"),
    ("cus.email", "邮箱", "Email"),
    ("cus.department", "科室", "Department"),
    ("cus.visits", "拜访记录", "Visits"),
    ("cus.add_visit", "计划或登记拜访", "Plan or log a visit"),
    ("cus.visit_kind", "类型", "Kind"),
    ("cus.visit_planned", "计划拜访", "Plan a visit"),
    (
        "cus.visit_done",
        "登记已完成拜访",
        "Log a visit that happened",
    ),
    ("cus.date", "日期", "Date"),
    ("cus.purpose", "目的", "Purpose"),
    ("cus.outcome", "结果", "Outcome"),
    ("cus.next_step", "下一步", "Next step"),
    ("cus.effective", "有效拜访", "Effective visit"),
    ("cus.satisfaction", "客户满意度", "Satisfaction"),
    ("cus.feedback", "客户反馈", "Feedback"),
    ("cus.contacts_met", "拜访对象", "Contacts met"),
    ("cus.log_outcome", "登记结果", "Log outcome"),
    ("cus.status.planned", "计划中", "Planned"),
    ("cus.status.done", "已完成", "Done"),
    ("cus.status.cancelled", "已取消", "Cancelled"),
    ("cus.classification", "客户分级", "Classification"),
    ("cus.source.rule", "规则评定", "By rule"),
    ("cus.source.override", "人工调整", "Overridden"),
    ("cus.rule_score", "规则评分", "Rule score"),
    ("cus.reason.created", "新建客户", "Customer created"),
    (
        "cus.reason.assessment_changed",
        "评估分变更",
        "Assessment changed",
    ),
    (
        "cus.reason.periodic",
        "定期重新评定",
        "Periodic re-evaluation",
    ),
    ("cus.override", "调整分级", "Override classification"),
    ("cus.back_to_rule", "恢复按规则评定", "Return to the rule"),
    ("cus.reason", "原因", "Reason"),
    ("cus.ownership", "归属", "Ownership"),
    ("cus.reassign", "转移客户", "Reassign"),
    (
        "cus.partners",
        "合作经销商 / 服务医院",
        "Partners / hospitals served",
    ),
    ("cus.history", "历史", "History"),
    ("cus.when", "时间", "When"),
    ("imp.title", "导入客户", "Import customers"),
    ("imp.link", "导入", "Import"),
    ("imp.export_csv", "导出 CSV", "Export CSV"),
    ("imp.export_xlsx", "导出 Excel", "Export Excel"),
    ("imp.export_contacts", "导出联系人", "Export contacts"),
    ("imp.kind", "文件内容", "The file holds"),
    (
        "imp.kind.institutions",
        "机构（医院、经销商等）",
        "Institutions (hospitals, partners …)",
    ),
    (
        "imp.kind.contacts",
        "科室与联系人",
        "Departments and contacts",
    ),
    (
        "imp.file",
        "文件（.xlsx 或 .csv，不超过 20 MB、50,000 行）",
        "File (.xlsx or .csv, up to 20 MB and 50,000 rows)",
    ),
    (
        "imp.encoding",
        "第一行为列名。CSV 可为 UTF-8 或 GBK 编码（Excel 另存的 CSV 均可）。",
        "The first row names the columns. CSV may be UTF-8 or GBK (any CSV saved from Excel).",
    ),
    (
        "imp.dry_run",
        "试运行：只检查，不写入",
        "Dry run: check only, write nothing",
    ),
    (
        "imp.rules",
        "全部或全不：只要有一行有误，就不会导入任何数据，并列出每个有误的行号与原因。",
        "All or nothing: if any row has a mistake, nothing is imported, and every bad row is listed with its number and reason.",
    ),
    ("imp.submit", "上传", "Upload"),
    ("imp.imported", "导入完成", "Imported"),
    ("imp.rows_unit", "行", "rows"),
    (
        "imp.dry_ok",
        "试运行通过，所有行均可导入，尚未写入任何数据",
        "Dry run passed: every row can be imported; nothing has been written yet",
    ),
    (
        "imp.dry_again",
        "取消勾选“试运行”，再次上传同一文件即可导入。",
        "Untick “dry run” and upload the same file again to import it.",
    ),
    (
        "imp.dry_run_note",
        "这是试运行，未写入任何数据。",
        "This was a dry run; nothing was written.",
    ),
    (
        "imp.refused",
        "行有误，未导入任何数据",
        "rows have mistakes; nothing was imported",
    ),
    ("imp.created", "已新建", "Created"),
    ("imp.would_create", "将新建", "Would create"),
    ("imp.institutions", "机构", "Institutions"),
    ("imp.view_customers", "查看客户", "View customers"),
    ("imp.row", "行号", "Row"),
    ("imp.column", "列", "Column"),
    ("imp.problem", "问题", "Problem"),
    (
        "imp.more_errors",
        "另有未列出的错误：",
        "Further errors not listed:",
    ),
    (
        "imp.columns",
        "列名（中文或英文均可）",
        "Columns (Chinese or English headers)",
    ),
    ("imp.required", "必填", "required"),
    ("imp.template", "下载空白模板", "Download an empty template"),
    (
        "imp.help.institutions",
        "每行一个机构。“负责销售账号”和“所属区域”可留空，默认为您本人和您的区域；区域经理和总监可填写其他销售的账号与区域（编码或名称）。类型、医院等级可填中文名称或代码。与已有客户重复（信用代码相同，或名称与城市相同）的行会被拒绝。",
        "One institution per row. Owner username and territory may be left blank: they default to you and your territory; managers and directors may give another rep's username and a territory (code or name). Kind and level may be Chinese labels or codes. A row duplicating a customer (same credit code, or same name and city) is refused.",
    ),
    (
        "imp.help.contacts",
        "每行一个联系人；姓名留空时该行只新建科室。机构按“机构ID”、“统一社会信用代码”或“机构名称 + 城市”在您的客户中查找；不存在的科室会自动新建。姓名与电话都相同的联系人视为重复。",
        "One contact per row; with the name blank the row only adds a department. The institution is found among your customers by its ID, its credit code, or its name and city; a department it does not have yet is created. A contact with the same name and phone as an existing one is a duplicate.",
    ),
    ("cus.kind.hospital", "公立医院", "Public hospital"),
    ("cus.kind.private_hospital", "民营医院", "Private hospital"),
    (
        "cus.kind.primary_care",
        "基层医疗机构",
        "Primary-care institution",
    ),
    ("cus.kind.research", "科研机构", "Research institution"),
    ("cus.kind.partner", "经销商 / 代理商", "Distributor / agent"),
    ("cus.level.3A", "三级甲等", "Tertiary A"),
    ("cus.level.3B", "三级乙等", "Tertiary B"),
    ("cus.level.3C", "三级丙等", "Tertiary C"),
    ("cus.level.2A", "二级甲等", "Secondary A"),
    ("cus.level.2B", "二级乙等", "Secondary B"),
    ("cus.level.2C", "二级丙等", "Secondary C"),
    ("cus.level.1", "一级", "Primary"),
    ("cus.level.unrated", "未定级", "Unrated"),
    ("cus.category.key", "重点客户", "Key"),
    ("cus.category.normal", "普通客户", "Normal"),
    ("cus.category.potential", "潜在客户", "Potential"),
    ("cus.role.doctor", "医生", "Doctor"),
    ("cus.role.department_head", "科室主任", "Department head"),
    ("cus.role.equipment", "设备科", "Equipment dept."),
    ("cus.role.procurement", "采购", "Procurement"),
    ("cus.role.finance", "财务", "Finance"),
    ("cus.role.kol", "KOL 专家", "KOL"),
    ("cus.role.other", "其他", "Other"),
    (
        "cus.completeness_title",
        "客户信息完整度（按销售）",
        "Customer information completeness by rep",
    ),
    (
        "cus.completeness_help",
        "每位销售名下客户的平均信息完整度，最低者在前；右侧列出缺失最多的信息。",
        "Average completeness of each rep's customers, weakest first, with the facts missing most.",
    ),
    (
        "cus.rules_title",
        "客户分级规则与拜访频率",
        "Grading rule and visit frequency",
    ),
    (
        "cus.rules_help",
        "按规模、采购需求、合作意愿三项评分（1–5 分）加权得出总分，达到 A、B 门槛即为 A 类（重点）、B 类（普通），其余为 C 类（潜在）。保存后立即对所有按规则评定的客户重新分级；人工调整的客户不变。",
        "The three 1–5 scores are weighted into one; reaching the A or B threshold makes a customer A (key) or B (normal), the rest C (potential). Saving re-grades every rule-graded customer at once; overridden ones keep their grade.",
    ),
    (
        "cus.rules_weights",
        "权重（合计 100%）",
        "Weights (adding up to 100 %)",
    ),
    (
        "cus.rules_thresholds",
        "等级门槛（加权总分）",
        "Grade thresholds (weighted score)",
    ),
    ("cus.rules_a_from", "A 类起", "A from"),
    ("cus.rules_b_from", "B 类起", "B from"),
    (
        "cus.rules_visits",
        "拜访频率（每 N 个月至少一次）",
        "Visit at least every N months",
    ),
    ("cus.rules_save", "保存并重新分级", "Save and re-grade"),
    ("cus.regraded", "重新分级的客户数：", "customers re-graded:"),
    ("cus.months", "个月", "month(s)"),
    ("cus.rules_link", "分级规则", "Grading rule"),
    ("cus.count", "客户数", "Customers"),
    ("cus.top_gaps", "缺失最多", "Missing most"),
    ("cus.missing.credit_code", "信用代码", "credit code"),
    ("cus.missing.level", "医院等级", "level"),
    ("cus.missing.address", "地址", "address"),
    ("cus.missing.beds", "床位数", "beds"),
    ("cus.missing.phone", "电话", "phone"),
    ("cus.missing.needs", "需求", "needs"),
    (
        "cus.missing.procurement_plan",
        "采购计划",
        "procurement plan",
    ),
    ("cus.missing.departments", "科室", "departments"),
    (
        "cus.missing.equipment_contact",
        "设备科联系人",
        "equipment-dept. contact",
    ),
    (
        "cus.missing.decision_maker",
        "决策人电话",
        "decision maker with phone",
    ),
    ("home.visits_due", "待拜访客户", "Customers due a visit"),
    (
        "home.visits_due_none",
        "没有逾期的拜访。",
        "No overdue visits.",
    ),
    ("nav.api", "API 文档", "API docs"),
    ("menu.profile", "个人设置", "My account"),
    ("menu.logout", "退出登录", "Sign out"),
    ("menu.switch", "English", "中文"),
    ("login.title", "登录", "Sign in"),
    (
        "login.subtitle",
        "医疗器械销售与售后服务管理系统",
        "Sales and service for medical-device companies",
    ),
    ("login.username", "用户名", "Username"),
    ("login.password", "密码", "Password"),
    ("login.submit", "登录", "Sign in"),
    (
        "login.failed",
        "用户名或密码错误",
        "Invalid username or password",
    ),
    (
        "login.limited",
        "失败次数过多，请 15 分钟后再试",
        "Too many failed attempts; try again in 15 minutes",
    ),
    ("home.title", "工作台", "Home"),
    ("home.welcome", "欢迎回来", "Welcome back"),
    ("home.roles", "我的角色", "My roles"),
    ("home.regions", "我的区域", "My regions"),
    ("home.today", "今天", "Today"),
    ("home.workday", "工作日", "Working day"),
    ("home.dayoff", "休息日", "Day off"),
    ("home.next_holiday", "下一个节假日", "Next public holiday"),
    ("home.modules", "可用模块", "Available modules"),
    (
        "home.modules_hint",
        "报价、合同、售后等模块将在后续版本上线。",
        "Quotes, contracts and service modules arrive in the next releases.",
    ),
    ("common.save", "保存", "Save"),
    ("common.search", "搜索", "Search"),
    ("common.next", "下一页", "Next page"),
    ("common.first", "第一页", "First page"),
    ("common.actions", "操作", "Actions"),
    ("common.none", "暂无数据", "Nothing to show"),
    ("common.yes", "是", "Yes"),
    ("common.no", "否", "No"),
    ("common.all", "全部", "All"),
    ("common.saved", "已保存", "Saved"),
    ("common.back", "返回", "Back"),
    ("users.title", "用户管理", "Users"),
    ("users.new", "新建用户", "New user"),
    ("users.edit", "编辑用户", "Edit user"),
    ("users.search_hint", "用户名或姓名", "Username or name"),
    ("users.username", "用户名", "Username"),
    ("users.display_name", "姓名", "Name"),
    ("users.email", "邮箱", "Email"),
    ("users.phone", "电话", "Phone"),
    ("users.roles", "角色", "Roles"),
    ("users.regions", "区域", "Regions"),
    ("users.status", "状态", "Status"),
    ("users.active", "在用", "Active"),
    ("users.inactive", "已停用", "Deactivated"),
    (
        "users.include_inactive",
        "包含已停用",
        "Include deactivated",
    ),
    ("users.password", "初始密码", "Initial password"),
    (
        "users.password_help",
        "至少 10 位，包含字母、数字、符号中的两类，且不含用户名",
        "At least 10 characters mixing two of letters, digits and symbols, without the username",
    ),
    ("users.reset_password", "重置密码", "Reset password"),
    (
        "users.deactivate_help",
        "停用后该用户无法登录，历史记录保留",
        "A deactivated user cannot sign in; their history is kept",
    ),
    ("regions.title", "区域管理", "Regions"),
    ("regions.code", "编码", "Code"),
    ("regions.name_zh", "中文名称", "Chinese name"),
    ("regions.name_en", "英文名称", "English name"),
    ("regions.parent", "上级", "Parent"),
    ("regions.kind", "层级", "Level"),
    ("regions.add", "新增下级区域", "Add sub-region"),
    ("regions.kind.company", "公司", "Company"),
    ("regions.kind.region", "大区", "Region"),
    ("regions.kind.area", "片区", "Area"),
    ("calendar.title", "工作日历", "Business calendar"),
    (
        "calendar.help",
        "节假日与调休上班日决定所有服务时限（SLA）的计算。",
        "Holidays and make-up working days drive every service deadline (SLA).",
    ),
    (
        "calendar.no_schedule",
        "本年度尚未录入法定节假日安排：在录入之前，SLA 时限只按周末计算。国务院办公厅公布安排后，请管理员在此录入。",
        "No public-holiday schedule is recorded for this year yet, so SLA clocks skip weekends only. Enter it here once the State Council publishes it.",
    ),
    ("calendar.year", "年份", "Year"),
    ("calendar.date", "日期", "Date"),
    ("calendar.kind", "类型", "Type"),
    ("calendar.name", "名称", "Name"),
    ("calendar.holiday", "法定节假日", "Public holiday"),
    ("calendar.makeup", "调休上班", "Make-up working day"),
    (
        "calendar.working_days",
        "全年工作日",
        "Working days in the year",
    ),
    ("calendar.hours", "工作时间", "Working hours"),
    ("calendar.start", "上班", "Start"),
    ("calendar.end", "下班", "End"),
    ("calendar.add", "设置特殊日期", "Set a special day"),
    ("calendar.clear", "恢复为普通日", "Make ordinary"),
    ("audit.title", "审计日志", "Audit log"),
    (
        "audit.help",
        "所有业务数据变更均记录于此，只能追加，不能修改或删除。",
        "Every change to business data is recorded here; entries can only be appended.",
    ),
    ("audit.time", "时间", "Time"),
    ("audit.actor", "操作人", "Actor"),
    ("audit.entity", "对象", "Entity"),
    ("audit.entity_id", "编号", "Id"),
    ("audit.action", "操作", "Action"),
    ("audit.request_id", "请求编号", "Request id"),
    ("audit.change", "变更内容", "Change"),
    ("me.title", "个人设置", "My account"),
    ("me.password", "修改密码", "Change password"),
    ("me.current_password", "当前密码", "Current password"),
    ("me.new_password", "新密码", "New password"),
    ("me.tokens", "个人 API 令牌", "Personal API tokens"),
    (
        "me.tokens_help",
        "用于脚本和系统集成，以 Authorization: Bearer 令牌 方式调用 API。",
        "For scripts and integrations: call the API with Authorization: Bearer <token>.",
    ),
    ("me.token_name", "令牌名称", "Token name"),
    ("me.token_days", "有效天数", "Valid for days"),
    ("me.token_create", "生成令牌", "Create token"),
    (
        "me.token_shown",
        "请立即复制，此令牌只显示一次：",
        "Copy it now; it is shown only once:",
    ),
    ("me.token_expires", "到期", "Expires"),
    ("me.token_last_used", "最近使用", "Last used"),
    ("me.token_revoke", "撤销", "Revoke"),
    ("me.token_revoked", "已撤销", "Revoked"),
    (
        "me.password_changed",
        "密码已修改，请重新登录",
        "Password changed; please sign in again",
    ),
];

#[cfg(test)]
mod tests {
    use super::*;

    /// SYS-4: every key has both languages and no key is listed twice.
    #[test]
    fn sys_4_every_text_has_both_languages() {
        let mut keys = std::collections::BTreeSet::new();
        for (k, zh, en) in TEXTS {
            assert!(keys.insert(*k), "duplicate key {k}");
            assert!(!zh.is_empty() && !en.is_empty(), "{k}");
        }
        assert_eq!(Lang::Zh.t("nav.home"), "工作台");
        assert_eq!(Lang::En.t("nav.home"), "Home");
        assert_eq!(Lang::En.t("no.such.key"), "no.such.key");
    }

    /// SYS-4: every key a template uses exists.
    #[test]
    fn sys_4_templates_use_known_keys() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/templates");
        let mut stack = vec![std::path::PathBuf::from(dir)];
        while let Some(p) = stack.pop() {
            if p.is_dir() {
                stack.extend(std::fs::read_dir(&p).unwrap().map(|e| e.unwrap().path()));
                continue;
            }
            let text = std::fs::read_to_string(&p).unwrap();
            for part in text.split("t.t(\"").skip(1) {
                let key = part.split('"').next().unwrap();
                assert!(
                    TEXTS.iter().any(|(k, _, _)| *k == key),
                    "{}: unknown key {key}",
                    p.display()
                );
            }
        }
    }
}
