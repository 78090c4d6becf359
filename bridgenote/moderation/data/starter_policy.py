"""How the starter list treats each upstream word (used by build.py only).

glin-profanity's lists are written for chat filters, where a false positive costs little. On a
lifestyle network they would hide health notes (乳腺检查, 月经), food (乳酪蛋糕), fashion (私服穿搭,
nude lipstick, lolita), places (肥西县) and people asking about themselves ("is it ok to be gay
here?"). So: single Chinese characters are dropped (乳 奶 性 are everyday words; Chinese has no
word boundaries to protect them), and so are the words below that are ordinary words,
anatomy or identity. What stays is masked (profanity) or held for review (sexual, hate,
illegal); nothing in the starter list refuses at submit: that is a moderator's decision.
"""

from __future__ import annotations

EXCLUDED_EN = {
    # anatomy, health, identity and everyday words
    "anal", "anus", "rectum", "penis", "vagina", "vulva", "clitoris", "nipple", "nipples",
    "genitals", "ejaculation", "intercourse", "semen", "eunuch", "sex", "sexy", "sexo", "nude",
    "nudity", "erotic", "erotism", "escort", "domination", "busty", "butt", "suck", "sucks", "hoe",
    "xx", "mf", "bs", "hardcore", "hard core", "kinky", "panties", "panty", "topless",
    "undressing", "tied up", "tight white", "taste my", "hot chick", "girl on", "huge fat",
    "big black", "tongue in a", "strip club", "swinger", "playboy", "lolita", "twink", "twinkie",
    "yaoi", "lovemaking", "sadism", "scat", "snatch", "poof", "simp", "tushy", "spunk",
    "santorum", "testbad01", "goodpoop", "jelly donut", "tainted love", "coon", "coons",
    "bareback", "gay sex", "homoerotic", "pissed", "swastika", "pubes", "grope", "bondage",
    "voyeur", "dommes", "shota", "ecchi", "cumming", "rosy palm", "dog style", "style doggy",
    "big breasts", "masturbate", "orgasm", "fingering", "humping", "boner", "booty call",
    "camgirl", "lemon party", "hot carl", "pleasure chest", "wrapping men", "dirty pillows",
    "birdlock", "bastinado", "dolcett", "figging", "frotting", "nawashi", "omorashi", "guro",
}

EXCLUDED_ZH = {
    "13.", "九游", "刚度", "成人", "处女", "月经", "屁股", "包皮", "外阴", "激情", "祖宗", "私服",
    "老二", "精子", "交配", "卵子", "阳萎", "花柳", "老母", "老味", "肥西", "野鸡", "玉杵", "贝肉",
    "后庭", "吹箫", "打飞机", "靠背", "靠爸", "靠母", "你妈", "你娘", "他妈", "他娘", "妈妈的",
    "娘的", "日你", "干你", "插你", "射你", "想上你", "妓院", "杂种", "笨蛋", "性无能", "撒尿",
    "阴道", "阴茎", "阴唇", "阴户", "阴部", "阴毛", "阴核", "龟头", "放荡", "乳房", "乳头",
    "小乳头", "性器", "鬼公", "口肯", "姘头", "祖宗", "白烂", "白痴", "白癡", "瓜娃子", "狗日",
}

SEXUAL_HINTS_EN = (
    "porn", "cock", "dick", "pussy", "cunt", "fuck", "jizz", "cum", "blow", "job", "sex", "orgy",
    "tit", "boob", "dildo", "vibrator", "hentai", "milf", "bukkake", "gang", "fetish", "creampie",
    "threesome", "fellatio", "cunnilingus", "rimjob", "anilingus", "fisting", "pegging",
    "squirting", "penetration", "strapon", "strap on", "jail bait", "jailbait", "pedo",
    "paedo", "incest", "bestiality", "zoophilia", "pthc", "nambla", "upskirt", "rape", "raping",
    "rapist", "xxx", "smut", "slut", "whore", "shemale", "nympho", "nimpho", "camslut", "camwhore",
)
HATE_EN = {
    "beaner", "beaners", "bulldyke", "carpet muncher", "carpetmuncher", "darkie", "faggot",
    "fudge packer", "fudgepacker", "honkey", "jigaboo", "jiggaboo", "jiggerboo", "kike",
    "negro", "neonazi", "nig nog", "nigga", "nigger", "paki", "raghead", "retard", "retarded",
    "slanteye", "spic", "towelhead", "tranny", "wetback", "white power",
}
VIOLENCE_EN = {"how to kill", "how to murder"}

SEXUAL_ZH = (
    "乳交", "双峰微颤", "口交", "叫床", "性交", "性爱", "情色", "色情", "淫", "强奸", "轮奸",
    "鸡奸", "肛交", "肉", "湿透的内裤", "密洞", "浪叫", "抽插", "扒光", "三级片", "阳具",
    "射精", "奶子", "鸡鸡", "鸡巴", "雞巴", "军妓",
)
ILLEGAL_ZH = ("卖淫", "嫖娼", "嫖客", "招妓", "迷药", "卖B", "卖比", "妓女")


def classify(word: str, language: str) -> tuple[str, str] | None:
    """(category, action) for an upstream word, or None to leave it out."""
    w = word.strip()
    if not w:
        return None
    if language == "zh":
        if len(w) == 1 or w in EXCLUDED_ZH:
            return None
        if any(h in w for h in ILLEGAL_ZH):
            return ("illegal", "hold")
        if any(h in w for h in SEXUAL_ZH):
            return ("sexual", "hold")
        return ("profanity", "mask")
    if w.lower() in EXCLUDED_EN:
        return None
    if w.lower() in HATE_EN:
        return ("hate", "hold")
    if w.lower() in VIOLENCE_EN:
        return ("violence", "hold")
    if any(h in w.lower() for h in SEXUAL_HINTS_EN):
        return ("sexual", "hold")
    return ("profanity", "mask")

# Innocent phrases that contain a term someone may well add as a rule (乳, 奶, 性, gay...).
ALLOW_PHRASES = [
    "乳腺检查", "乳腺", "乳酪", "乳酪蛋糕", "乳制品", "豆乳", "母乳", "乳液", "乳霜", "炼乳",
    "牛奶", "奶茶", "酸奶", "奶酪", "奶油", "性别", "性格", "性价比", "个性", "女性", "男性",
    "性能", "成人礼", "成人教育", "处女座", "月经不调", "私服穿搭", "肥西县", "靠背",
]  # fmt: skip
