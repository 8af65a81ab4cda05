"""The word lists behind directory matching: filler words, concepts, nicknames.

Everything here is plain data, reviewed by hand, so a wrong transfer can be traced to a line.

Concepts turn everyday paraphrases into the departments a directory lists. A concept has
*names* (what a department may be called: an entry whose alias or display name fuzzily equals
one of them carries the concept) and *triggers* (what callers say when they need it). "I was
charged twice" hits the trigger "charged" of `billing`; the entry with the alias "accounts"
carries `billing` because "accounts" is one of its names. Strong triggers are enough on their
own to transfer; weak ones ("broken", "order") only tip the balance when something else
agrees, because callers use them for many different things.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Concept:
    names: tuple[str, ...]
    strong: tuple[str, ...] = ()
    weak: tuple[str, ...] = ()


CONCEPTS: dict[str, Concept] = {
    "reception": Concept(
        names=("reception", "front desk", "operator", "receptionist", "switchboard", "main desk",
               "front office", "main office", "general enquiries"),
        strong=("human", "real person", "live person", "actual person", "human being", "person",
                "somebody real"),
    ),
    "billing": Concept(
        names=("billing", "accounts", "accounting", "accounts payable", "accounts receivable",
               "finance", "invoicing", "payments", "credit control", "bookkeeping"),
        strong=("invoice", "bill", "charge", "charged", "overcharged", "double charged", "refund",
                "payment", "pay", "paid", "receipt", "statement", "direct debit", "credit card",
                "debit card", "card declined", "declined", "balance", "outstanding", "owe",
                "billed", "vat"),
    ),
    "support": Concept(
        names=("support", "tech support", "technical support", "help desk", "it", "it support",
               "it help desk", "service desk", "it department", "technical"),
        strong=("internet", "wifi", "broadband", "network", "email", "password", "log", "login",
                "logon", "computer", "laptop", "printer", "software", "app", "website", "crash",
                "crashing", "outage", "technical", "tech", "troubleshoot", "reset", "virus",
                "server", "offline"),
        weak=("connection", "broken", "not working", "isnt working", "doesnt work", "stopped working", "down",
              "error", "problem", "issue", "fault", "fix", "help"),
    ),
    "sales": Concept(
        names=("sales", "new business", "sales team", "business development", "quotes"),
        strong=("buy", "purchase", "purchasing", "pricing", "price", "quote", "quotation", "cost",
                "how much", "demo", "place order", "new order", "new customer", "sign up",
                "subscribe", "subscription", "upgrade", "licence", "license", "trial",
                "interested in"),
        weak=("order", "product", "products"),
    ),
    "shipping": Concept(
        names=("shipping", "deliveries", "delivery", "dispatch", "warehouse", "logistics",
               "despatch", "goods in"),
        strong=("parcel", "package", "shipment", "tracking", "track order", "courier",
                "arrived", "hasnt arrived", "not arrived", "where order", "collection",
                "return", "returns", "stock"),
    ),
    "hr": Concept(
        names=("hr", "human resources", "people team", "personnel", "recruitment"),
        strong=("job", "vacancy", "vacancies", "career", "careers", "hiring", "recruiting",
                "apply", "application", "interview", "cv", "resume", "sick leave",
                "annual leave", "maternity", "paternity", "employment", "reference"),
    ),
    "payroll": Concept(
        names=("payroll", "salaries", "wages"),
        strong=("payslip", "pay slip", "salary", "wage", "paycheck", "p60", "p45", "tax code",
                "expenses"),
    ),
    "customer care": Concept(
        names=("customer care", "customer service", "customer services", "complaints",
               "customer relations", "customer experience"),
        strong=("complaint", "complain", "unhappy", "not happy", "dissatisfied", "disappointed",
                "feedback", "rude", "terrible service", "cancel"),
    ),
    "legal": Concept(
        names=("legal", "contracts", "compliance", "legal department"),
        strong=("contract", "lawyer", "solicitor", "attorney", "gdpr", "data protection",
                "terms conditions", "lawsuit", "legal"),
    ),
    "marketing": Concept(
        names=("marketing", "press", "media", "communications", "pr"),
        strong=("advertising", "advert", "sponsorship", "press release", "journalist",
                "press enquiry", "interview request", "partnership", "collaboration",
                "social media", "newsletter", "brand"),
    ),
    "facilities": Concept(
        names=("facilities", "maintenance", "building", "building management", "premises"),
        strong=("heating", "air conditioning", "leak", "leaking", "parking", "cleaning",
                "lights", "lift", "elevator", "plumbing", "toilet"),
    ),
    "management": Concept(
        names=("managing director", "ceo", "chief executive", "director", "owner", "boss",
               "general manager", "president"),
        strong=("head office",),
    ),
}

# Request filler, dropped before matching: "can I speak to", "put me through to", "please"...
# A word here that is also a name in the directory ("Will", "May") is kept for that directory.
STOP_WORDS = frozenset("""
a an the and or to too me my mine myself i im id ive ill you your youre we were us our it its
please pls thanks thank cheers hi hello hey hiya yes yeah yep ok okay alright right um uh er erm
hmm ah oh so just well now today currently still again also there here is are was be been
being am do does did can could would will shall should may might must like love want wanted
wanting need needs needed speak speaking spoke talk talking chat chatting get getting got put
putting through transfer transferred connect connected connecting reach reaching contact
contacting put pass forward send call calling called ring ringing phoning phone line
with for of in on at from about by into regarding re this that these those someone somebody
anyone anybody who whom whoever whats what which available free around back department
departments dept team section division sir madam mr mrs ms miss dr
mister doctor prof professor extension ext extn x number no
""".split())

# Words after which a number is an extension ("extension 215", "x215", "dial 2 1 5").
NUMBER_CUES = frozenset({"extension", "ext", "extn", "x", "dial", "line"})
# Words around a number that make it something else: "order 4471", "302 euros", "3 times".
NUMBER_BEFORE = frozenset({"order", "invoice", "account", "reference", "ref", "ticket", "case",
                           "policy", "customer", "room", "flight", "booking", "id", "code", "pin",
                           "postcode", "zip", "serial", "model", "version", "page", "item"})
NUMBER_AFTER = frozenset({"dollars", "dollar", "euros", "euro", "pounds", "pound", "quid", "bucks",
                          "cents", "pence", "percent", "times", "days", "day", "weeks", "months",
                          "years", "minutes", "hours", "seconds", "am", "pm", "oclock", "items",
                          "units", "licences", "licenses", "pieces", "people", "users", "seats",
                          "kg", "euro", "gb", "mb"})

# Words that stand for a stop-word alias such as "IT": "IT department", "the IT team".
ACRONYM_COMPANIONS = frozenset({"department", "dept", "team", "support", "desk", "help",
                                "helpdesk", "people", "person", "guy", "guys", "services",
                                "service", "section", "office"})

# Display names with one of these words are departments or rooms, not people: their first and
# last words are not matched on their own ("Conference Room" is not a person called Room).
DEPARTMENT_WORDS = frozenset({"team", "room", "office", "desk", "department", "dept", "line",
                              "group", "services", "service", "center", "centre", "lab", "hall",
                              "store", "shop", "unit", "queue", "hotline", "helpdesk", "kitchen",
                              "lobby", "reception", "accounts", "support", "sales", "billing",
                              "warehouse", "operations", "management", "enquiries", "general",
                              "main", "voicemail", "fax", "conference", "meeting", "board",
                              "security", "it", "hr", "admin", "administration", "finance"})

# Around a person's name in a directory, not part of it: "Dr. Niamh O'Sullivan", "Tom Keane Jr".
NAME_TITLES = frozenset({"dr", "doctor", "mr", "mrs", "ms", "miss", "mx", "prof", "professor",
                         "sir", "dame", "rev", "fr", "father", "sister", "lady", "lord"})
NAME_SUFFIXES = frozenset({"jr", "junior", "sr", "senior", "ii", "iii", "iv", "phd", "md",
                           "dds", "esq"})

# First names that are also everyday words: on their own they transfer ("Mark, please"), but
# inside a longer sentence ("I will pay my bill") they are not trusted.
COMMON_WORD_NAMES = frozenset({"will", "bill", "mark", "frank", "grace", "hope", "joy", "rose",
                               "may", "june", "april", "august", "sue", "pat", "don", "ray",
                               "art", "max", "bob", "jack", "guy", "faith", "summer", "rob",
                               "sandy", "dawn", "amber", "ruby", "penny", "holly", "iris",
                               "jean", "lily", "victor", "sunny", "chase", "drew", "miles",
                               "hunter", "page", "price", "rich", "young", "green", "white",
                               "brown", "black", "long", "hill", "wood", "king", "bell", "day",
                               "case", "law", "lane", "ward", "cook", "page"})

# A few common nicknames, formal name -> what callers say instead.
NICKNAMES: dict[str, tuple[str, ...]] = {
    "david": ("dave", "davy"), "michael": ("mike", "mick", "mikey"),
    "robert": ("rob", "bob", "bobby", "robbie"), "william": ("will", "bill", "billy", "liam"),
    "james": ("jim", "jimmy", "jamie"), "thomas": ("tom", "tommy"), "joseph": ("joe", "joey"),
    "daniel": ("dan", "danny"), "peter": ("pete",), "richard": ("rick", "rich", "dick"),
    "christopher": ("chris",), "christine": ("chris", "chrissie"), "matthew": ("matt",),
    "anthony": ("tony",), "andrew": ("andy", "drew"), "edward": ("ed", "eddie", "ted"),
    "nicholas": ("nick", "nicky"), "stephen": ("steve",), "steven": ("steve",),
    "benjamin": ("ben",), "samuel": ("sam",), "samantha": ("sam", "sammy"),
    "alexander": ("alex",), "alexandra": ("alex", "lexi"), "elizabeth": ("liz", "beth", "lizzie"),
    "katherine": ("kate", "katie", "kathy"), "catherine": ("kate", "katie", "cathy"),
    "margaret": ("maggie", "meg", "peggy"), "jennifer": ("jen", "jenny"),
    "rebecca": ("becky", "becca"), "victoria": ("vicky", "tori"), "joanne": ("jo",),
    "joanna": ("jo",), "josephine": ("jo", "josie"), "patricia": ("pat", "trish"),
    "susan": ("sue", "susie"), "deborah": ("debbie", "deb"), "jonathan": ("jon", "jonny"),
    "timothy": ("tim",), "gregory": ("greg",), "kenneth": ("ken", "kenny"),
    "patrick": ("pat", "paddy"), "francis": ("frank",), "frances": ("fran",),
    "gerard": ("ger", "gerry"), "eleanor": ("ellie", "nora"), "abigail": ("abby",),
}
