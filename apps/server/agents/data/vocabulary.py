"""Word banks of the ticket generator: data only, no logic.

Each category has noun phrases (`KEYWORDS`) and sentences (`SENTENCES`) whose `{kw}` slot takes
one of its keywords, `{obj}` a purchased thing shared by all categories, `{time}` a moment and
`{num}` an order number. Neighbouring categories (`NEIGHBOURS`) share words on purpose, so
that some tickets are genuinely ambiguous.
"""

from typing import Final

# fmt: off

KEYWORDS: Final[dict[str, tuple[str, ...]]] = {
    "billing": (
        "invoice",
        "receipt",
        "billing statement",
        "credit card",
        "payment method",
        "subscription fee",
        "annual plan",
        "monthly plan",
        "price increase",
        "VAT number",
        "billing address",
        "promo code",
        "discount",
        "payment",
        "renewal charge",
        "late fee",
        "pricing page",
        "tax amount",
        "bank transfer",
        "proforma invoice",
    ),
    "refund": (
        "refund",
        "money back",
        "reimbursement",
        "partial refund",
        "store credit",
        "chargeback",
        "refund request",
        "return label",
        "cancelled order",
        "refund status",
        "original payment method",
        "restocking fee",
        "credit note",
        "refund policy",
        "damaged item",
    ),
    "shipping": (
        "delivery",
        "package",
        "parcel",
        "tracking number",
        "courier",
        "shipment",
        "delivery address",
        "shipping label",
        "delivery date",
        "express shipping",
        "warehouse",
        "customs",
        "pickup point",
        "shipping cost",
        "delivery driver",
    ),
    "technical": (
        "error message",
        "app",
        "website",
        "login page",
        "mobile app",
        "browser",
        "update",
        "sync",
        "API",
        "dashboard",
        "notification",
        "checkout page",
        "file upload",
        "integration",
        "server error",
        "page",
        "screen",
        "export",
    ),
    "account": (
        "password",
        "username",
        "email address",
        "profile",
        "two factor code",
        "login",
        "account settings",
        "security question",
        "verification email",
        "phone number",
        "account",
        "sign in",
        "user role",
        "team member",
        "reset link",
    ),
    "other": (
        "feedback",
        "suggestion",
        "partnership",
        "opening hours",
        "job opening",
        "press inquiry",
        "compliment",
        "general question",
        "newsletter",
        "privacy policy",
        "terms of service",
        "store location",
        "survey",
        "event",
        "donation",
    ),
}

SENTENCES: Final[dict[str, tuple[str, ...]]] = {
    "billing": (
        "I was charged twice for my {obj}.",
        "The amount on my {kw} is higher than expected.",
        "My card was declined when paying for the {obj}.",
        "Please send me a copy of the {kw} from {time}.",
        "How do I change the {kw} on file?",
        "Why did the price of my {obj} go up?",
        "I want to switch to the annual plan.",
        "The payment for {time} failed but the {kw} says paid.",
    ),
    "refund": (
        "I would like a refund for my {obj}.",
        "When will I get my money back for the {obj}?",
        "I returned the item {time} and still have no refund.",
        "Please cancel the order and refund the payment.",
        "The {kw} has not reached my bank yet.",
        "I was promised a {kw} but nothing happened.",
        "Can I get a {kw} instead?",
        "The {obj} arrived broken, I want my money back.",
    ),
    "shipping": (
        "My {obj} has not arrived yet.",
        "The tracking number shows no update since {time}.",
        "The courier left the package at the wrong address.",
        "Can I change the {kw} for order {num}?",
        "The {kw} says delivered but I have nothing.",
        "How long does express shipping take?",
        "My parcel is stuck in customs.",
        "The box with my {obj} was damaged during delivery.",
    ),
    "technical": (
        "The {kw} keeps crashing when I open it.",
        "I get an error 500 on the {kw}.",
        "The {kw} is very slow since the last update.",
        "Nothing happens when I click the button on the {kw}.",
        "The {kw} does not load on my phone.",
        "Data does not sync between my devices.",
        "The API returns a timeout {time}.",
        "I cannot upload files, the {kw} fails at 90 percent.",
    ),
    "account": (
        "I forgot my {kw} and cannot sign in.",
        "The {kw} has expired.",
        "How do I change the {kw} on my profile?",
        "My account is locked after too many attempts.",
        "I never received the verification email.",
        "Please delete my account and my data.",
        "I want to add a team member to my account.",
        "The two factor code is not accepted {time}.",
    ),
    "other": (
        "I have a {kw} about your service.",
        "Who can I talk to about a {kw}?",
        "Just wanted to say your team did a great job.",
        "Do you have a store near me?",
        "What are your opening hours on weekends?",
        "Please unsubscribe me from the newsletter.",
        "Where can I read the {kw}?",
        "I would like to suggest a new feature for the {obj}.",
    ),
}

# Categories that real customers mix up; ambiguous tickets borrow a sentence from these.
NEIGHBOURS: Final[dict[str, tuple[str, ...]]] = {
    "billing": ("refund", "account"),
    "refund": ("billing", "shipping"),
    "shipping": ("refund", "other"),
    "technical": ("account", "billing"),
    "account": ("technical", "billing"),
    "other": ("billing", "technical", "shipping"),
}

# Sentences with no category signal: they only add length and shared vocabulary.
VAGUE_SENTENCES: Final[tuple[str, ...]] = (
    "I have a problem with my {obj}.",
    "Something is wrong with my {obj}.",
    "Can someone look into order {num}?",
    "I need help with my {obj} please.",
    "Please call me back about the {obj}.",
)

FILLERS: Final[tuple[str, ...]] = (
    "I have been a customer for three years.",
    "This is really frustrating.",
    "Please help me as soon as possible.",
    "I already tried contacting you by phone.",
    "Thank you for your help.",
    "My order number is {num}.",
    "I am writing from my work email.",
    "It happened again {time}.",
    "Let me know if you need anything else.",
    "I bought it as a gift for my sister.",
    "Your chat was not available {time}.",
    "I hope this can be solved quickly.",
)

OBJECTS: Final[tuple[str, ...]] = (
    "order",
    "subscription",
    "account",
    "item",
    "purchase",
    "laptop",
    "headphones",
    "phone case",
    "plan",
    "membership",
    "product",
    "gift box",
    "coffee machine",
    "sneakers",
)

TIMES: Final[tuple[str, ...]] = (
    "yesterday",
    "last week",
    "two days ago",
    "this morning",
    "on Monday",
    "last month",
    "since Friday",
    "an hour ago",
)

GREETINGS: Final[dict[str, tuple[str, ...]]] = {
    "email": ("Hello,", "Hi team,", "Dear support,", "Good morning,"),
    "chat": ("hi", "hey", "", "hello there"),
    "web_form": ("",),
    "phone": ("Customer says:", "Caller reports that"),
}

CLOSINGS: Final[dict[str, tuple[str, ...]]] = {
    "email": ("Best regards, Sam", "Thanks, Alex", "Kind regards", "Cheers"),
    "chat": ("", "thx", "thanks"),
    "web_form": ("",),
    "phone": ("", "Caller asked for a follow-up."),
}

# Segment dialects: word substitutions (applied per occurrence with `SEGMENT_SWAP_RATE`)
# and extra phrases. A smaller segment with its own words is learnt less well, which is
# what the bias report is there to show.
SEGMENT_SWAPS: Final[dict[str, dict[str, str]]] = {
    "en-US": {},
    "en-GB": {"package": "parcel", "phone number": "mobile number"},
    "en-IN": {"phone number": "mobile number", "refund": "refund amount"},
    # Pairs rather than a dict literal: bandit reads `"password": "<word>"` as a credential.
    "es-US": dict(  # noqa: C406
        (
            ("refund", "reembolso"),
            ("invoice", "factura"),
            ("package", "paquete"),
            ("password", "contraseña"),
            ("delivery", "entrega"),
            ("payment", "pago"),
            ("account", "cuenta"),
            ("order", "pedido"),
            ("app", "aplicación"),
        )
    ),
}
SEGMENT_SWAP_RATE: Final[float] = 0.6

SEGMENT_PHRASES: Final[dict[str, tuple[str, ...]]] = {
    "en-US": (),
    "en-GB": ("Cheers in advance.", "Kind regards."),
    "en-IN": ("Kindly do the needful.", "Please revert at the earliest."),
    "es-US": ("Hola.", "Gracias.", "Por favor ayuda."),
}

# Drift vocabulary: products and features that appear after the model was trained.
NEW_KEYWORDS: Final[dict[str, tuple[str, ...]]] = {
    "billing": ("walletpay checkout", "usage based pricing", "crypto payment"),
    "refund": ("instant refund", "return kiosk", "refund voucher"),
    "shipping": ("drone delivery", "parcel locker", "same day courier"),
    "technical": ("ai assistant", "smartwatch app", "offline mode"),
    "account": ("passkey", "biometric login", "single sign on"),
    "other": ("sustainability report", "community meetup", "loyalty club"),
}
NEW_SENTENCES: Final[tuple[str, ...]] = (
    "I have a question about the {kw}.",
    "The {kw} does not work for me.",
    "What is going on with the {kw}?",
)
# fmt: on
