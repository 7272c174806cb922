"""Static demo content: the team, customers, plotter models, parts catalogue and fault texts.

Every company and person here is fictional. HP product numbers and the `<product#>-67xxx`
spare numbers built from them are illustrative and have not been checked against HP's parts
lists; Canon and Epson service error strings are demo strings with no meaning attached.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypedDict

DEMO_PASSWORD = "plotter-demo"
DEMO_DOMAIN = "precisionplotter.example"


class DemoUser(TypedDict):
    role: str
    name: str
    email: str
    phone: str


SAM, PRIYA, LUIS = (f"{name}@{DEMO_DOMAIN}" for name in ("sam", "priya", "luis"))
MARIA, FRANK = f"maria@{DEMO_DOMAIN}", f"frank@{DEMO_DOMAIN}"

DEMO_USERS: tuple[DemoUser, ...] = (
    {"role": "admin", "name": "Frank Moretti", "email": FRANK, "phone": "+1 (555) 014-2291"},
    {"role": "office", "name": "Maria Chen", "email": MARIA, "phone": "+1 (555) 014-2290"},
    {"role": "tech", "name": "Sam Okafor", "email": SAM, "phone": "+1 (555) 014-2301"},
    {"role": "tech", "name": "Priya Natarajan", "email": PRIYA, "phone": "+1 (555) 014-2302"},
    {"role": "tech", "name": "Luis Ortega", "email": LUIS, "phone": "+1 (555) 014-2303"},
)
# Months before today each person joined; a tech's visits and van start then.
JOINED_MONTHS_AGO = {FRANK: 96, MARIA: 70, SAM: 60, PRIYA: 48, LUIS: 14}
# How likely each tech is to be sent to each make (they specialise a little).
TECH_MAKES = {
    SAM: {"HP": 6, "Canon": 1, "Epson": 1},
    PRIYA: {"HP": 2, "Canon": 6, "Epson": 6},
    LUIS: {"HP": 5, "Canon": 2, "Epson": 1},
}


@dataclass(frozen=True)
class PlotterModel:
    make: str
    model: str  # exactly as stored on Equipment.model and PartCompatibility.model
    released: int
    # Typical square feet printed per working day: (low, high) for a light and a heavy user.
    usage: tuple[int, int]
    # What its usage meter counts (Equipment.meter_unit): HP's usage report gives the printed
    # area [F]. That the office-size Canon and Epson read a print count is a guess (?); their
    # daily usage then reads as sheets a day, which is in the same range.
    meter_unit: str = "sq_ft"
    # A year's contract per plotter, labour only, in dollars: an estimate (?).
    contract_dollars: int = 1_500


MODELS: dict[str, PlotterModel] = {
    "T650": PlotterModel("HP", "DesignJet T650", 2019, (15, 60), contract_dollars=1_200),
    "T830": PlotterModel("HP", "DesignJet T830", 2015, (20, 90), contract_dollars=1_400),
    "T1700": PlotterModel("HP", "DesignJet T1700", 2019, (60, 300), contract_dollars=2_200),
    "Z9+": PlotterModel("HP", "DesignJet Z9+", 2018, (40, 200), contract_dollars=2_600),
    "T2600": PlotterModel("HP", "DesignJet T2600", 2019, (120, 500), contract_dollars=3_200),
    "TM-300": PlotterModel(
        "Canon", "imagePROGRAF TM-300", 2019, (20, 120), "prints", contract_dollars=1_300
    ),
    "TX-3100": PlotterModel(
        "Canon", "imagePROGRAF TX-3100", 2018, (60, 250), contract_dollars=2_500
    ),
    "T5170": PlotterModel(
        "Epson", "SureColor T5170", 2019, (20, 120), "prints", contract_dollars=1_400
    ),
    "P8570": PlotterModel("Epson", "SureColor P8570", 2021, (30, 150), contract_dollars=2_800),
}
METER_UNIT = "sq ft"


@dataclass(frozen=True)
class PlotterSeed:
    model: str  # a key of MODELS
    location: str
    heavy: bool = False  # a production machine rather than an office one
    notes: str = ""
    retired: bool = False
    site: str = ""  # the name of one of the customer's sites ("": the customer's address)


@dataclass(frozen=True)
class SiteSeed:
    name: str
    address: str
    access_notes: str
    opening_hours: str
    contact: tuple[str, str, str]  # the site contact: name, role, phone


@dataclass(frozen=True)
class CustomerSeed:
    name: str
    contact: str
    phone: str
    email: str
    address: str
    notes: str
    plotters: tuple[PlotterSeed, ...]
    # Months between preventive visits on contract; 0 means time-and-materials, no PM contract.
    pm_months: int = 6
    # Other people at the site who sign off visits.
    staff: tuple[str, ...] = ()
    sites: tuple[SiteSeed, ...] = ()


P = PlotterSeed

CUSTOMERS: tuple[CustomerSeed, ...] = (
    CustomerSeed(
        "Lakeshore Reprographics",
        "Dana Ruiz",
        "+1 (312) 555-0148",
        "production@lakeshorerepro.example",
        "1455 W Fulton St, Chicago, IL 60607",
        "Loading dock on Fulton; buzz 2 for production. They run overnight jobs, so book "
        "mornings. PM contract, 3 visits a year.",
        (
            P("T2600", "Production floor, station 1", heavy=True),
            P("T2600", "Production floor, station 2", heavy=True),
            P("T1700", "Production floor, wide-format bay", heavy=True),
            P(
                "T830",
                "Front counter, self-serve",
                notes="Walk-in customers load their own "
                "paper; check the spindle and media profile first.",
            ),
            P("TM-300", "Front counter, behind the register"),
        ),
        pm_months=4,
        staff=("Dana Ruiz", "Marcus Bell", "Tina Kowalczyk"),
    ),
    CustomerSeed(
        "Halvorsen Kline Architects",
        "Greta Halvorsen",
        "+1 (312) 555-0172",
        "office@hkarch.example",
        "330 N Wabash Ave, Suite 1800, Chicago, IL 60611",
        "Sign in at the lobby desk; freight elevator for anything on a cart. Submittal "
        "deadlines most Fridays - avoid Friday afternoons.",
        (
            P("T830", "18th floor print room"),
            P("T830", "18th floor model shop"),
            P("T1700", "18th floor print room", heavy=True),
        ),
        staff=("Greta Halvorsen", "Owen Pike", "Lucia Ferraro"),
    ),
    CustomerSeed(
        "Brightwater Structural Engineers",
        "Raj Mehta",
        "+1 (312) 555-0119",
        "it@brightwater-se.example",
        "600 W Jackson Blvd, 4th Floor, Chicago, IL 60661",
        "IT (Raj) must be told before any firmware update - they lock the print server.",
        (
            P("T650", "4th floor copy room"),
            P("T650", "4th floor, east bullpen"),
            P("T1700", "4th floor copy room"),
        ),
        staff=("Raj Mehta", "Allison Grant"),
    ),
    CustomerSeed(
        "Okonkwo + Reyes Architecture",
        "Adaeze Okonkwo",
        "+1 (773) 555-0133",
        "studio@okonkworeyes.example",
        "1717 N Milwaukee Ave, 2nd Floor, Chicago, IL 60647",
        "Walk-up, no elevator. Street parking only; metered on Milwaukee.",
        (
            P("T830", "2nd floor print room"),
            P("TM-300", "Conference room credenza"),
        ),
        pm_months=0,
        staff=("Adaeze Okonkwo", "Mateo Reyes"),
    ),
    CustomerSeed(
        "Prairie Line Civil Engineering",
        "Tom Brandt",
        "+1 (630) 555-0186",
        "tbrandt@prairieline.example",
        "2020 W Ogden Ave, Suite 300, Naperville, IL 60540",
        "Plan room is through the survey department; ask for Tom or Kelly.",
        (
            P("T1700", "Plan room", heavy=True),
            P("T830", "Survey department"),
        ),
        staff=("Tom Brandt", "Kelly Ames"),
    ),
    CustomerSeed(
        "Marchetti Lowe Landscape Architects",
        "Paolo Marchetti",
        "+1 (847) 555-0125",
        "admin@marchettilowe.example",
        "1603 Orrington Ave, Suite 900, Evanston, IL 60201",
        "Renderings on the Z9+ are colour-critical; always leave the after test plot.",
        (
            P("T650", "9th floor workroom"),
            P("Z9+", "9th floor workroom", notes="Prints renderings on satin photo paper."),
        ),
        staff=("Paolo Marchetti", "Hannah Lowe"),
    ),
    CustomerSeed(
        "Westfield MEP Consultants",
        "Gary Novak",
        "+1 (630) 555-0161",
        "facilities@westfieldmep.example",
        "2001 Spring Rd, Suite 420, Oak Brook, IL 60523",
        "Visitor parking at the front; Gary is in most mornings only.",
        (
            P("T830", "Suite 420 print alcove"),
            P(
                "T830",
                "Suite 410 (old office)",
                retired=True,
                notes="Retired when they gave up suite 410; kept as a spare in storage.",
            ),
        ),
        staff=("Gary Novak", "Irene Walsh"),
    ),
    CustomerSeed(
        "BluePrint Express Schaumburg",
        "Ken Yamamoto",
        "+1 (847) 555-0190",
        "orders@bpxschaumburg.example",
        "1050 E Golf Rd, Schaumburg, IL 60173",
        "Retail print shop, open 8-6. Rear door by the dumpsters for deliveries. PM contract, "
        "3 visits a year.",
        (
            P("T2600", "Production room", heavy=True),
            P(
                "TX-3100",
                "Production room, left wall",
                heavy=True,
                retired=True,
                notes="Replaced by the T2600; collected for recycling.",
            ),
            P("T1700", "Production room, right wall", heavy=True),
            P("T650", "Self-serve station"),
        ),
        pm_months=4,
        staff=("Ken Yamamoto", "Shauna Price"),
    ),
    CustomerSeed(
        "Riverwalk Print & Copy",
        "Beth Olsen",
        "+1 (630) 555-0114",
        "beth@riverwalkprint.example",
        "45 S Broadway, Aurora, IL 60505",
        "Small shop; Beth runs it alone on Saturdays. Park in the municipal lot on Downer Pl.",
        (
            P("TM-300", "Back counter"),
            P("T650", "Back counter"),
            P("T5170", "Poster corner", heavy=True),
        ),
        staff=("Beth Olsen", "Carlos Mendez"),
    ),
    # One university, two sites: the plan room at Facilities and the architecture school's lab.
    CustomerSeed(
        "Northbrook State University",
        "Doug Harrington",
        "+1 (847) 555-0107",
        "facilities-plans@nsu.example",
        "Facilities Services Building, Room 014, 1 University Pl, Northbrook, IL 60062",
        "Park in visitor lot B; get a contractor badge at the Facilities front desk (Room 014) "
        "before entering any building. PO number required on the sign-off.",
        (
            P("T1700", "Plan room, Room 014", heavy=True, site="Facilities Services Building"),
            P("T830", "Capital projects office, Room 022", site="Facilities Services Building"),
            P("T830", "Hollis Hall B12, student lab, left", heavy=True, site="Hollis Hall"),
            P("T830", "Hollis Hall B12, student lab, right", heavy=True, site="Hollis Hall"),
            P("TX-3100", "Hollis Hall B14, review prep room", heavy=True, site="Hollis Hall"),
            P("Z9+", "Hollis Hall B14, review prep room", site="Hollis Hall"),
        ),
        staff=(
            "Doug Harrington",
            "Pam Okafor",
            "Prof. Leena Anand",
            "Jordan Kim (lab monitor)",
            "Avery Stone (lab monitor)",
        ),
        sites=(
            SiteSeed(
                "Facilities Services Building",
                "Facilities Services Building, Room 014\n1 University Pl, Northbrook, IL 60062",
                "Park in visitor lot B; contractor badges at the front desk (Room 014).",
                "Mon–Fri 7:30–16:00",
                ("Doug Harrington", "Facilities plan room", "+1 (847) 555-0107"),
            ),
            SiteSeed(
                "Hollis Hall",
                "Hollis Hall, School of Architecture, Room B12\n1 University Pl, Northbrook, "
                "IL 60062",
                "Badge from Facilities first. The student lab gets slammed before reviews "
                "(December, April): schedule mornings; ask for Prof. Anand or the lab monitor.",
                "Mon–Fri 8:00–22:00 in term",
                ("Prof. Leena Anand", "Lab lead, School of Architecture", "+1 (847) 555-0108"),
            ),
        ),
    ),
    CustomerSeed(
        "Signal Hill Signs & Graphics",
        "Nate Kowalski",
        "+1 (773) 555-0156",
        "shop@signalhillsigns.example",
        "2750 W Grand Ave, Chicago, IL 60612",
        "Shop floor is dusty (router next door) - check paper path and sensors every visit.",
        (
            P("Z9+", "Print room", heavy=True),
            P("P8570", "Print room, by the laminator", heavy=True),
        ),
        staff=("Nate Kowalski", "Ruby Santos"),
    ),
    CustomerSeed(
        "Big Shoulders Sign Co.",
        "Frankie Doyle",
        "+1 (773) 555-0144",
        "frankie@bigshoulderssign.example",
        "3941 S Ashland Ave, Chicago, IL 60609",
        "Roll-up door on the alley side; ring the bell and wait.",
        (
            P("Z9+", "Production bay", heavy=True),
            P("T5170", "Office, proofs"),
        ),
        pm_months=0,
        staff=("Frankie Doyle", "Ted Lasko"),
    ),
    CustomerSeed(
        "Fox Valley Wraps & Signs",
        "Angela Ruiz",
        "+1 (630) 555-0177",
        "hello@foxvalleywraps.example",
        "1320 N Farnsworth Ave, Aurora, IL 60505",
        "Shop closed Mondays.",
        (P("P8570", "Design studio"),),
        staff=("Angela Ruiz",),
    ),
    CustomerSeed(
        "Fox River County GIS Office",
        "Mark Lindqvist",
        "+1 (630) 555-0102",
        "gis@foxrivercounty.example",
        "County Government Center, Room 212, 210 S 3rd St, Geneva, IL 60134",
        "Security screening at the main entrance: bring ID, tools go through the X-ray. "
        "Ask for Mark Lindqvist, GIS. Invoices need the county PO.",
        (
            P("T1700", "Room 212, GIS lab", heavy=True),
            P("Z9+", "Room 212, map printing"),
            P("T5170", "Room 208, assessor's office"),
        ),
        staff=("Mark Lindqvist", "Denise Park"),
    ),
    CustomerSeed(
        "Ironbridge Construction Group",
        "Bill Sorensen",
        "+1 (773) 555-0165",
        "ops@ironbridgecg.example",
        "8401 W Higgins Rd, Chicago, IL 60631",
        "Site trailer plotter: hard hat, hi-vis and steel toes required; gate code from the "
        "office on the day.",
        (
            P("T830", "Main office, 3rd floor plan room"),
            P("T650", "Site trailer 2, River North project"),
        ),
        staff=("Bill Sorensen", "Gina Maldonado"),
    ),
    CustomerSeed(
        "Keller Dunn Builders",
        "Sharon Keller",
        "+1 (630) 555-0129",
        "office@kellerdunn.example",
        "215 N York St, Elmhurst, IL 60126",
        "Small office; the plotter is in the kitchen.",
        (
            P("T830", "Kitchen / plan table"),
            P("TM-300", "Estimating office"),
        ),
        pm_months=0,
        staff=("Sharon Keller", "Ray Dunn"),
    ),
    CustomerSeed(
        "Harborview Medical Center - Facilities Engineering",
        "Carl Jensen",
        "+1 (312) 555-0198",
        "facilities.eng@harborviewmc.example",
        "2200 S Michigan Ave, Building C, Level B, Chicago, IL 60616",
        "Check in at Facilities Engineering, Level B; escort required in patient areas. "
        "Loading dock at rear; ask for Jim at security.",
        (
            P("T830", "Level B, engineering office"),
            P("T650", "Level B, project managers' room"),
        ),
        staff=("Carl Jensen", "Jim Alvarez (security)"),
    ),
    CustomerSeed(
        "Meridian Fine Art Printing",
        "Sofia Marin",
        "+1 (312) 555-0131",
        "studio@meridianfineart.example",
        "1932 S Halsted St, Chicago, IL 60608",
        "Gallery-grade giclee work; fussy about colour. Always run colour calibration and "
        "leave the before and after plots.",
        (
            P("P8570", "Print studio, left", heavy=True),
            P("P8570", "Print studio, right", heavy=True),
            P("Z9+", "Proofing room"),
        ),
        pm_months=4,
        staff=("Sofia Marin", "Eli Brooks"),
    ),
    CustomerSeed(
        "Sato Photography Studio",
        "Kenji Sato",
        "+1 (312) 555-0152",
        "kenji@satophoto.example",
        "1015 N Halsted St, Chicago, IL 60642",
        "Studio shoots most afternoons: visits before noon only.",
        (P("P8570", "Back office"),),
        pm_months=0,
        staff=("Kenji Sato",),
    ),
    CustomerSeed(
        "Village of Cedar Ridge Public Works - Engineering",
        "Lauren Fisk",
        "+1 (630) 555-0120",
        "engineering@cedarridge-il.example",
        "1200 Cedar Ridge Rd, Cedar Ridge, IL 60559",
        "Public works yard: sign in at the dispatch window, visitor vest provided.",
        (
            P("T650", "Engineering office"),
            P("T830", "Engineering office, plan table"),
        ),
        staff=("Lauren Fisk", "Steve Marino"),
    ),
    CustomerSeed(
        "Tollway Engineering Associates",
        "Victor Hale",
        "+1 (630) 555-0140",
        "vhale@tollwayeng.example",
        "1 Tower Ln, Suite 1500, Oakbrook Terrace, IL 60181",
        "Tower parking garage, visitor level P2.",
        (
            P("T1700", "15th floor production room", heavy=True),
            P("T830", "15th floor, north wing"),
        ),
        staff=("Victor Hale", "Monica Reyes"),
    ),
    CustomerSeed(
        "Calloway & Pruitt Interior Design",
        "Jessica Calloway",
        "+1 (312) 555-0166",
        "studio@callowaypruitt.example",
        "900 N Michigan Ave, Suite 1600, Chicago, IL 60611",
        "Building requires a certificate of insurance on file before any contractor visit "
        "(office has it).",
        (P("T650", "Sample library"),),
        pm_months=0,
        staff=("Jessica Calloway", "Dev Pruitt"),
    ),
    CustomerSeed(
        "Lakefront Museum of Natural History - Exhibits",
        "Robin Asante",
        "+1 (312) 555-0183",
        "exhibits@lakefrontmuseum.example",
        "1500 S Lake Shore Dr, Chicago, IL 60605",
        "Staff entrance on the west side; exhibits shop is in the basement. Ask for Robin.",
        (
            P("Z9+", "Exhibits shop, basement", heavy=True),
            P("T5170", "Exhibits office"),
        ),
        staff=("Robin Asante", "Wes Hart"),
    ),
    CustomerSeed(
        "Pinnacle Surveying & Mapping",
        "Howard Brandt",
        "+1 (815) 555-0137",
        "survey@pinnaclesurvey.example",
        "58 N Chicago St, Joliet, IL 60432",
        "Back entrance off the alley; plotter room is past the drafting tables.",
        (
            P("T830", "Drafting room"),
            P("T650", "Front office"),
            P("T5170", "Drafting room, by the window"),
        ),
        staff=("Howard Brandt", "Lisa Gomez"),
    ),
)


# -- service contracts and PM plans ------------------------------------------------------------

# What a contract costs on top of labour only, per plotter (estimates (?)): parts roughly
# double it, consumables as well about 2.6 times; a production machine costs a quarter more.
# No plotter's share goes over $9,000 a year.
PARTS_FACTOR, CONSUMABLES_FACTOR, HEAVY_FACTOR = 1.8, 2.6, 1.25
MAX_DOLLARS_PER_PLOTTER = 9_000
LEAD_DAYS = 14


@dataclass(frozen=True)
class ContractSeed:
    """A year's contract covering the customer's plotters in service, and a PM plan on each.

    every_meter counts square feet and applies only to the production (heavy) plotters that
    meter square feet; the others are planned by the calendar (every_months, else the
    customer's pm_months). No interval at all: the contract has no PM plans."""

    customer: str  # the customer's name as in CUSTOMERS
    ends_in_days: int  # from today to the term's last day (negative: it has ended)
    response_hours: int | None
    parts: bool = False
    consumables: bool = False
    every_months: int | None = None
    every_meter: int | None = None
    state: str = "active"  # "active", "expired" (ended, not renewed) or "draft"
    notes: str = ""
    # The term before this one, expired and renewed as this one (same cover and price).
    renewed: bool = False
    # A draft renewal for the next term is already written (the quote is out).
    renewal_drafted: bool = False
    no_plans: bool = False


C = ContractSeed

CONTRACTS: tuple[ContractSeed, ...] = (
    C(
        "Lakeshore Reprographics",
        200,
        4,
        parts=True,
        every_months=4,
        every_meter=25_000,
        notes="Production shop: three PMs a year, or sooner on the T2600s by the meter.",
    ),
    C("Halvorsen Kline Architects", 25, 24, every_months=6, renewal_drafted=True),
    C("Brightwater Structural Engineers", 150, 24, parts=True, every_months=6),
    C(
        "Prairie Line Civil Engineering",
        48,
        24,
        every_months=6,
        every_meter=100_000,
        notes="Renewal quote to Tom Brandt; they want the T1700 on parts cover too.",
    ),
    C("Marchetti Lowe Landscape Architects", 300, 8, parts=True, every_months=6),
    C("Westfield MEP Consultants", 90, 48, every_months=6),
    C(
        "BluePrint Express Schaumburg",
        120,
        4,
        parts=True,
        every_meter=50_000,
        notes="PM on the production machines every 50,000 sq ft; the self-serve T650 every "
        "4 months.",
    ),
    C("Riverwalk Print & Copy", 12, 24, every_months=6, renewal_drafted=True),
    C(
        "Northbrook State University",
        220,
        8,
        parts=True,
        every_months=6,
        every_meter=100_000,
        notes="Invoice against the annual facilities PO; PMs in term breaks where possible.",
    ),
    C(
        "Signal Hill Signs & Graphics",
        270,
        8,
        parts=True,
        every_months=3,
        renewed=True,
        notes="Dusty shop (router next door): PM every 3 months from this term, was 6.",
    ),
    C("Fox Valley Wraps & Signs", 180, 48, every_months=6),
    C(
        "Fox River County GIS Office",
        55,
        24,
        parts=True,
        every_months=6,
        every_meter=50_000,
        notes="County fiscal year: renewal needs a new PO before the term ends.",
    ),
    C("Ironbridge Construction Group", 330, 48, every_months=6),
    C(
        "Harborview Medical Center - Facilities Engineering",
        140,
        4,
        parts=True,
        every_months=6,
    ),
    C(
        "Meridian Fine Art Printing",
        240,
        8,
        parts=True,
        consumables=True,
        every_months=4,
        notes="Ink and maintenance boxes included: they print gallery work every day.",
    ),
    C("Village of Cedar Ridge Public Works - Engineering", 35, 48, every_months=6),
    C(
        "Tollway Engineering Associates",
        160,
        24,
        parts=True,
        every_months=6,
        every_meter=50_000,
    ),
    C("Lakefront Museum of Natural History - Exhibits", 280, 24, parts=True, every_months=6),
    C("Pinnacle Surveying & Mapping", 100, 48, every_months=6),
    # Time-and-materials customers (pm_months=0, no PM visits in the history): one signed
    # seven months ago and its first PM was never booked (the planner finds it overdue), one
    # had breakdown cover only and let it lapse.
    C(
        "Big Shoulders Sign Co.",
        155,
        24,
        every_months=6,
        notes="New this year after two breakdowns in a month; the first PM is due.",
    ),
    C(
        "Keller Dunn Builders",
        -40,
        48,
        state="expired",
        no_plans=True,
        notes="Breakdown cover only. Did not renew: back to time and materials.",
    ),
)


@dataclass(frozen=True)
class PartSeed:
    sku: str
    name: str
    manufacturer: str
    mpn: str
    category: str
    cost_cents: int
    reorder_point: int
    models: tuple[str, ...]  # keys of MODELS


ALL_MODELS = tuple(MODELS)
HP_MODELS = tuple(key for key, model in MODELS.items() if model.make == "HP")


def _hp_mechanics(model: str, product: str, costs: dict[str, int]) -> list[PartSeed]:
    """The field-replaceable mechanics of one HP model, numbered `<product#>-67xxx`."""
    names = {
        "service_station": ("Service station assembly", "67004", 1),
        "cutter": ("Cutter assembly", "67012", 1),
        "belt": ("Carriage belt (scan axis)", "67003", 1),
        "encoder": ("Encoder strip (scan axis)", "67021", 1),
        "cable": ("Trailing cable kit", "67005", 0),
        "board": ("Formatter / main PCA", "67001", 0),
        "power": ("Power supply unit", "67002", 0),
        "ink_system": ("Ink tubes system", "67030", 0),
        "sensor": ("Media sensor assembly", "67018", 0),
    }
    parts = []
    for category, cost in costs.items():
        name, suffix, reorder = names[category]
        number = f"{product}-{suffix}"
        parts.append(
            PartSeed(
                number,
                f"{name}, DesignJet {model}",
                "HP",
                number,
                category,
                cost,
                reorder,
                (model,),
            )
        )
    return parts


PARTS: tuple[PartSeed, ...] = (
    # HP printheads (supply numbers from the HP supplies catalogue).
    PartSeed("3ED58A", "HP 713 printhead", "HP", "3ED58A", "printhead", 16900, 1, ("T650",)),
    PartSeed(
        "F9J81A",
        "HP 729 printhead replacement kit",
        "HP",
        "F9J81A",
        "printhead",
        22500,
        1,
        ("T830",),
    ),
    PartSeed(
        "P2V27A",
        "HP 730 printhead (6-colour)",
        "HP",
        "P2V27A",
        "printhead",
        29800,
        1,
        ("T1700", "T2600"),
    ),
    PartSeed("P2V25A", "HP 746 printhead", "HP", "P2V25A", "printhead", 31500, 1, ("Z9+",)),
    *_hp_mechanics(
        "T650",
        "5HB10",
        {"service_station": 24500, "cutter": 4500, "belt": 5900, "encoder": 3200, "cable": 12900},
    ),
    *_hp_mechanics(
        "T830",
        "F9A30",
        {
            "service_station": 27900,
            "cutter": 4900,
            "belt": 6900,
            "encoder": 3500,
            "cable": 14500,
            "board": 52900,
            "power": 18900,
        },
    ),
    *_hp_mechanics(
        "T1700",
        "W6B55",
        {
            "service_station": 38900,
            "cutter": 6900,
            "belt": 11900,
            "encoder": 5900,
            "cable": 21900,
            "board": 74900,
            "power": 29900,
            "sensor": 8900,
        },
    ),
    *_hp_mechanics(
        "T2600",
        "3XB78",
        {
            "service_station": 42900,
            "cutter": 6900,
            "belt": 12900,
            "encoder": 5900,
            "cable": 23900,
            "board": 84900,
        },
    ),
    *_hp_mechanics(
        "Z9+",
        "W3Z71",
        {
            "service_station": 39900,
            "cutter": 6500,
            "belt": 11900,
            "encoder": 5500,
            "cable": 22900,
            "ink_system": 45900,
        },
    ),
    PartSeed(
        "HP-LUBE-KIT",
        "HP lubrication kit (carriage rod oil)",
        "HP",
        "",
        "consumable",
        2400,
        1,
        HP_MODELS,
    ),
    # Canon imagePROGRAF TM / TX.
    PartSeed(
        "CAN-PF06",
        "Canon PF-06 printhead",
        "Canon",
        "PF-06",
        "printhead",
        59900,
        1,
        ("TM-300", "TX-3100"),
    ),
    PartSeed(
        "CAN-MC31",
        "Canon MC-31 maintenance cartridge",
        "Canon",
        "MC-31",
        "maintenance",
        4900,
        1,
        ("TM-300",),
    ),
    PartSeed(
        "CAN-MC30",
        "Canon MC-30 maintenance cartridge",
        "Canon",
        "MC-30",
        "maintenance",
        6900,
        1,
        ("TX-3100",),
    ),
    PartSeed(
        "CAN-TM-CUTTER",
        "Cutter unit, imagePROGRAF TM series",
        "Canon",
        "",
        "cutter",
        5900,
        1,
        ("TM-300",),
    ),
    PartSeed(
        "CAN-TX-CUTTER",
        "Cutter unit, imagePROGRAF TX series",
        "Canon",
        "",
        "cutter",
        6500,
        1,
        ("TX-3100",),
    ),
    PartSeed(
        "CAN-TM-BELT",
        "Carriage drive belt, imagePROGRAF TM-300",
        "Canon",
        "",
        "belt",
        6900,
        1,
        ("TM-300",),
    ),
    PartSeed(
        "CAN-TX-BELT",
        "Carriage drive belt, imagePROGRAF TX-3100",
        "Canon",
        "",
        "belt",
        8900,
        0,
        ("TX-3100",),
    ),
    PartSeed(
        "CAN-TM-SCALE",
        "Linear scale (encoder strip), imagePROGRAF TM-300",
        "Canon",
        "",
        "encoder",
        3900,
        0,
        ("TM-300",),
    ),
    PartSeed(
        "CAN-TX-SCALE",
        "Linear scale (encoder strip), imagePROGRAF TX-3100",
        "Canon",
        "",
        "encoder",
        4500,
        0,
        ("TX-3100",),
    ),
    PartSeed(
        "CAN-TX-MAINPCB",
        "Main controller board, imagePROGRAF TX-3100",
        "Canon",
        "",
        "board",
        69900,
        0,
        ("TX-3100",),
    ),
    PartSeed(
        "CAN-TX-INKTUBE",
        "Ink tube unit, imagePROGRAF TX-3100",
        "Canon",
        "",
        "ink_system",
        38900,
        0,
        ("TX-3100",),
    ),
    # Epson SureColor: printheads are field parts here, ordered per job.
    PartSeed(
        "EPS-T5170-HEAD",
        "Printhead, SureColor T5170",
        "Epson",
        "",
        "printhead",
        129900,
        0,
        ("T5170",),
    ),
    PartSeed(
        "EPS-P8570-HEAD",
        "Printhead, SureColor P8570",
        "Epson",
        "",
        "printhead",
        219900,
        0,
        ("P8570",),
    ),
    PartSeed(
        "C13T04D100",
        "Epson maintenance box T04D1",
        "Epson",
        "C13T04D100",
        "maintenance",
        3500,
        1,
        ("T5170",),
    ),
    PartSeed(
        "EPS-P8570-MBOX",
        "Maintenance box, SureColor P-series",
        "Epson",
        "",
        "maintenance",
        6900,
        1,
        ("P8570",),
    ),
    PartSeed(
        "EPS-T5170-CUTTER",
        "Auto cutter blade, SureColor T-series",
        "Epson",
        "",
        "cutter",
        4500,
        1,
        ("T5170",),
    ),
    PartSeed(
        "EPS-P8570-CUTTER",
        "Auto cutter blade, SureColor P8570",
        "Epson",
        "",
        "cutter",
        5500,
        0,
        ("P8570",),
    ),
    PartSeed(
        "EPS-T5170-BELT",
        "CR timing belt, SureColor T5170",
        "Epson",
        "",
        "belt",
        5900,
        0,
        ("T5170",),
    ),
    PartSeed(
        "EPS-P8570-BELT",
        "CR timing belt, SureColor P8570",
        "Epson",
        "",
        "belt",
        8900,
        0,
        ("P8570",),
    ),
    PartSeed(
        "EPS-T5170-SCALE",
        "CR encoder scale, SureColor T5170",
        "Epson",
        "",
        "encoder",
        3500,
        0,
        ("T5170",),
    ),
    PartSeed(
        "EPS-P8570-DAMPER",
        "Damper kit, SureColor P8570",
        "Epson",
        "",
        "ink_system",
        14900,
        0,
        ("P8570",),
    ),
    PartSeed(
        "EPS-P8570-PUMPCAP",
        "Pump cap unit, SureColor P8570",
        "Epson",
        "",
        "service_station",
        28900,
        0,
        ("P8570",),
    ),
    PartSeed(
        "EPS-T5170-PUMPCAP",
        "Pump cap unit, SureColor T5170",
        "Epson",
        "",
        "service_station",
        19900,
        0,
        ("T5170",),
    ),
    # Shop consumables, good for every model.
    PartSeed(
        "CON-IPA-WIPES",
        "Isopropyl alcohol wipes, 99% (pack of 10)",
        "",
        "",
        "consumable",
        650,
        4,
        ALL_MODELS,
    ),
    PartSeed(
        "CON-LINT-CLOTH",
        "Lint-free cleaning cloths (pack of 25)",
        "",
        "",
        "consumable",
        900,
        3,
        ALL_MODELS,
    ),
    PartSeed(
        "CON-FOAM-SWABS",
        "Foam-tip cleaning swabs (bag of 50)",
        "",
        "",
        "consumable",
        1200,
        1,
        ALL_MODELS,
    ),
    PartSeed(
        "CON-ESD-STRAP",
        "ESD wrist strap with ground lead",
        "",
        "",
        "other",
        1500,
        1,
        ALL_MODELS,
    ),
)

# What each tech's van carries when topped up (sku -> quantity).
_VAN_COMMON = {
    "CON-IPA-WIPES": 6,
    "CON-LINT-CLOTH": 4,
    "CON-FOAM-SWABS": 2,
    "CON-ESD-STRAP": 1,
    "HP-LUBE-KIT": 2,
}
# Suppliers (made up): name, contact, email, lead time in days; parts by manufacturer.
SUPPLIERS = (
    ("Northline Imaging Parts", "Dana Whitfield", f"orders@northline.{DEMO_DOMAIN}", 5),
    ("Meridian Print Service Supply", "Raj Patel", f"sales@meridian.{DEMO_DOMAIN}", 7),
    ("Harbor Graphics Distribution", "Ellen Cho", f"parts@harbor.{DEMO_DOMAIN}", 4),
)
SUPPLIER_OF = {
    "HP": "Northline Imaging Parts",
    "Canon": "Meridian Print Service Supply",
    "Epson": "Meridian Print Service Supply",
}
VAN_PAR: dict[str, dict[str, int]] = {
    f"sam@{DEMO_DOMAIN}": {
        **_VAN_COMMON,
        "3ED58A": 1,
        "F9J81A": 2,
        "P2V27A": 1,
        "5HB10-67003": 1,
        "F9A30-67003": 2,
        "W6B55-67003": 1,
        "3XB78-67003": 1,
        "F9A30-67012": 1,
        "5HB10-67012": 1,
        "W6B55-67012": 1,
        "F9A30-67021": 1,
        "W6B55-67021": 1,
        "F9A30-67004": 1,
        "CAN-MC31": 1,
    },
    f"priya@{DEMO_DOMAIN}": {
        **_VAN_COMMON,
        "HP-LUBE-KIT": 1,
        "CAN-PF06": 1,
        "CAN-MC31": 2,
        "CAN-MC30": 2,
        "CAN-TM-CUTTER": 1,
        "CAN-TX-CUTTER": 1,
        "CAN-TM-BELT": 1,
        "C13T04D100": 3,
        "EPS-P8570-MBOX": 2,
        "EPS-T5170-CUTTER": 1,
        "F9J81A": 1,
        "W3Z71-67003": 1,
        "P2V25A": 1,
    },
    f"luis@{DEMO_DOMAIN}": {
        **_VAN_COMMON,
        "3ED58A": 1,
        "F9J81A": 1,
        "5HB10-67003": 1,
        "F9A30-67003": 1,
        "W6B55-67003": 1,
        "F9A30-67012": 1,
        "5HB10-67021": 1,
        "F9A30-67021": 1,
        "CAN-MC31": 1,
        "C13T04D100": 1,
    },
}


@dataclass(frozen=True)
class Fault:
    """A fault as the office hears it and as the tech writes it up."""

    key: str
    makes: tuple[str, ...]
    code: str  # "" when the panel showed nothing
    problem: str  # what the caller said
    found: str  # what the tech found
    fix: str  # what the tech did, when it was fixed in one visit
    after: str  # how it was proven fixed
    part: str | None = None  # category of the part fitted, if any
    consumables: tuple[str, ...] = ()
    weight: int = 1
    # A repeat of the same code within weeks is this fault (the first fix treated a symptom).
    repeat_as: str | None = None


FAULTS: tuple[Fault, ...] = (
    Fault(
        "hp-belt",
        ("HP",),
        "86:01",
        "Carriage won't move; panel shows 86:01 and says possible paper jam. No paper jammed.",
        "Carriage belt split at the drive-pulley end, black belt dust along the rail",
        "Replaced carriage belt and ran the scan-axis calibration",
        "86:01 cleared, test plot clean",
        part="belt",
        consumables=("CON-LINT-CLOTH",),
        weight=5,
        repeat_as="hp-belt-friction",
    ),
    Fault(
        "hp-belt-friction",
        ("HP",),
        "86:01",
        "86:01 again, a few weeks after the new belt went in.",
        "New belt is fine; scan-axis friction high from gummed oil on the carriage rod, which "
        "is what wore out the last belt",
        "Cleaned the rod and bushings, oiled the rear bushing from the HP lubrication kit",
        "Friction test passed, 86:01 cleared, test plot clean",
        consumables=("HP-LUBE-KIT", "CON-LINT-CLOTH"),
        weight=0,
    ),
    Fault(
        "hp-jam-86",
        ("HP",),
        "86:01",
        "86:01 after a roll jammed; they pulled the paper out but the error stays.",
        "Torn strip of bond wedged against the carriage stopper; belt and strip inspected, fine",
        "Removed the debris, checked the carriage moves freely end to end",
        "86:01 cleared after power cycle, 5 full-width test plots OK",
        consumables=("CON-LINT-CLOTH",),
        weight=2,
        repeat_as="hp-belt",
    ),
    Fault(
        "hp-encoder",
        ("HP",),
        "87:11",
        "Stops in the middle of long plots with 87:11. Power cycling gets it going again.",
        "Encoder strip dirty near the service station (index lines blurred against white paper)",
        "Cleaned the encoder strip with IPA on a lint-free cloth and reseated the encoder sensor",
        "20 full-width test plots without an error",
        consumables=("CON-IPA-WIPES", "CON-LINT-CLOTH"),
        weight=5,
        repeat_as="hp-trailing",
    ),
    Fault(
        "hp-trailing",
        ("HP",),
        "87:11",
        "87:11 keeps coming back, usually on wide plots.",
        "Trailing cable cracked at the fold; strip and sensor clean",
        "Replaced the trailing cable and ran the scan-axis calibration",
        "Ran 3 customer jobs and 10 test plots, no 87:11",
        part="cable",
        weight=2,
    ),
    Fault(
        "hp-strip",
        ("HP",),
        "87:11",
        "Error 87:11 at power-on; carriage moves a little then stops.",
        "Encoder strip kinked and scratched near the right-hand end",
        "Replaced the encoder strip and checked sensor alignment",
        "Initialises cleanly, test plot clean",
        part="encoder",
        consumables=("CON-IPA-WIPES",),
        weight=1,
    ),
    Fault(
        "hp-friction",
        ("HP",),
        "42:10",
        "Carriage sounds rough and grinding, then shows 42:10.",
        "Scan-axis friction high: old oil gummed on the carriage rod (someone used spray lube)",
        "Cleaned the rod and bushings, applied HP lubrication kit oil to the rear bushing",
        "Friction test passed, 42:10 cleared",
        consumables=("HP-LUBE-KIT", "CON-LINT-CLOTH", "CON-IPA-WIPES"),
        weight=3,
    ),
    Fault(
        "hp-7904",
        ("HP",),
        "79:04",
        "Shows 79:04 every time it is switched on.",
        "79:04 from a PostScript job stuck in the queue, sent by their third-party RIP",
        "Deleted the job, set the RIP to send raster through the HP driver, updated firmware",
        "Reprinted the customer's job without error",
        weight=3,
    ),
    Fault(
        "hp-service-station",
        ("HP",),
        "21:13",
        "Won't initialise; service station error 21:13 on the panel.",
        "Service station drive jammed, wiper roll not advancing",
        "Replaced the service station and ran the service-station test",
        "21:13 cleared, printhead alignment done, test plot clean",
        part="service_station",
        weight=2,
    ),
    Fault(
        "hp-printhead",
        ("HP",),
        "",
        "Streaks and missing colours on drawings; head cleaning didn't help.",
        "Printhead log shows status 2 (replace); ink through the head well past warranty volume",
        "Replaced the printhead, ran printhead alignment and colour calibration",
        "Nozzle check and test plot clean",
        part="printhead",
        weight=4,
    ),
    Fault(
        "hp-cutter",
        ("HP",),
        "",
        "Cutter drags and tears the edge of the bond paper.",
        "Cutter blade dull, leaving a ragged edge with a hanging corner",
        "Replaced the cutter assembly",
        "Cut 5 sheets of bond clean and square",
        part="cutter",
        weight=3,
    ),
    Fault(
        "hp-banding",
        ("HP",),
        "",
        "Horizontal bands across area fills since they changed paper brand.",
        "Banding from paper advance on the new 24 lb bond; drive roller dusty",
        "Cleaned the drive and pinch rollers, ran paper-advance calibration on their bond",
        "Area fills even on the test plot",
        consumables=("CON-LINT-CLOTH",),
        weight=3,
    ),
    Fault(
        "hp-media",
        ("HP",),
        "81:01",
        "81:01 when loading a roll; sometimes says no paper loaded.",
        "Media path sensor window coated in paper dust; drive roller encoder disc dusty",
        "Cleaned the sensor window and encoder disc, ran paper-advance calibration",
        "Loaded 3 rolls and 2 sheets without error",
        consumables=("CON-FOAM-SWABS",),
        weight=2,
    ),
    Fault(
        "hp-media-sensor",
        ("HP",),
        "",
        "Plotter says load paper with a roll already loaded.",
        "Media sensor failed: no reading on the sensor service test",
        "Replaced the media sensor assembly and ran the sensor calibration",
        "Rolls and sheets detected every time",
        part="sensor",
        weight=1,
    ),
    Fault(
        "hp-formatter",
        ("HP",),
        "",
        "Plotter stuck on 'Initialising' after a power cut over the weekend.",
        "Formatter fails to boot (no network, stops at initialising)",
        "Replaced the formatter, restored network settings and firmware",
        "Boots normally, printed the configuration page and a customer job",
        part="board",
        weight=1,
    ),
    Fault(
        "hp-psu",
        ("HP",),
        "",
        "Completely dead, no lights, after a storm.",
        "Power supply failed; outlet and cord tested fine",
        "Replaced the power supply unit, advised a surge protector",
        "Powers up and initialises, test plot clean",
        part="power",
        weight=1,
    ),
    Fault(
        "hp-ink-tubes",
        ("HP",),
        "",
        "Ink on the floor under the plotter, light magenta dripping.",
        "Ink tube cracked behind the carriage at the tube guide",
        "Replaced the ink tubes system, primed and purged",
        "No leaks after 2 hours printing, nozzle check clean",
        part="ink_system",
        weight=1,
    ),
    Fault(
        "canon-carriage",
        ("Canon",),
        "EC03-2F21",
        "Plotter stopped with EC03-2F21 on the panel.",
        "Carriage stalled on a curled sheet; linear scale smeared with ink mist",
        "Cleared the paper path, cleaned the linear scale with IPA on a lint-free cloth",
        "10 power cycles and 5 full-width plots without the error",
        consumables=("CON-IPA-WIPES", "CON-LINT-CLOTH"),
        weight=3,
        repeat_as="canon-belt",
    ),
    Fault(
        "canon-belt",
        ("Canon",),
        "EC03-2F21",
        "EC03-2F21 again, plus a ticking noise from the carriage.",
        "Carriage drive belt worn, teeth missing near the right end",
        "Replaced the carriage drive belt and ran the carriage adjustments",
        "No error over 10 power cycles, test plot clean",
        part="belt",
        weight=1,
    ),
    Fault(
        "canon-warning",
        ("Canon",),
        "E161-403E",
        "E161-403E comes up at the start of most jobs; they clear it and carry on.",
        "Maintenance cartridge nearly full",
        "Replaced the maintenance cartridge and reset its counter",
        "No warning on 5 jobs, nozzle check clean",
        part="maintenance",
        weight=3,
    ),
    Fault(
        "canon-head",
        ("Canon",),
        "",
        "Cyan missing in stripes even after cleaning.",
        "Nozzle check shows cyan gaps after 3 cleaning cycles",
        "Replaced the PF-06 printhead, ran head alignment and colour calibration",
        "Nozzle check clean",
        part="printhead",
        weight=3,
    ),
    Fault(
        "canon-cutter",
        ("Canon",),
        "",
        "Cuts come out skewed and the corners are torn.",
        "Cutter unit blunt and rail dirty",
        "Replaced the cutter unit and cleaned the cutter rail",
        "5 straight clean cuts",
        part="cutter",
        weight=2,
    ),
    Fault(
        "epson-box",
        ("Epson",),
        "",
        "Says maintenance box full; won't print or clean.",
        "Maintenance box at end of life",
        "Replaced the maintenance box",
        "Printer cleaned and printed a nozzle check without gaps",
        part="maintenance",
        weight=4,
    ),
    Fault(
        "epson-service-call",
        ("Epson",),
        "0x1A41",
        "Service call error 0x1A41 after power-on; power cycling doesn't clear it.",
        "CR timing belt worn, carriage hesitating at the home position",
        "Replaced the CR timing belt and cleaned the CR encoder scale",
        "Initialises every time, test plot clean",
        part="belt",
        consumables=("CON-IPA-WIPES",),
        weight=2,
        repeat_as="epson-scale",
    ),
    Fault(
        "epson-scale",
        ("Epson",),
        "0x1A41",
        "Service call 0x1A41 again.",
        "CR encoder scale smeared with ink mist at the left end",
        "Cleaned the CR scale with IPA on a lint-free cloth and checked the sensor",
        "20 power cycles without the error",
        consumables=("CON-IPA-WIPES", "CON-LINT-CLOTH"),
        weight=1,
    ),
    Fault(
        "epson-clog",
        ("Epson",),
        "",
        "Banding and missing nozzles after the printer sat idle over the holidays.",
        "Nozzles blocked after weeks idle; caps dried",
        "Cleaned the caps and wiper with swabs, ran a power cleaning",
        "Nozzle check clean",
        consumables=("CON-FOAM-SWABS",),
        weight=3,
    ),
    Fault(
        "epson-pump-cap",
        ("Epson",),
        "",
        "Nozzles never come back after cleaning; same colours missing.",
        "Pump cap unit not sealing: cap lip torn",
        "Replaced the pump cap unit and ran an initial ink charge",
        "Nozzle check clean",
        part="service_station",
        weight=2,
    ),
    Fault(
        "epson-head",
        ("Epson",),
        "",
        "Deflected nozzles in black; lines look doubled.",
        "Printhead nozzle plate damaged (head strike on curled media)",
        "Replaced the printhead, ran head alignment and colour calibration",
        "Nozzle check and alignment pattern clean",
        part="printhead",
        weight=1,
    ),
    Fault(
        "epson-damper",
        ("Epson",),
        "",
        "Light colours fade out partway across wide prints.",
        "Dampers starving ink on long carriage passes",
        "Replaced the damper kit and charged ink",
        "Full-width fills even",
        part="ink_system",
        weight=1,
    ),
    Fault(
        "epson-cutter",
        ("Epson",),
        "",
        "Auto cutter leaves a ragged edge.",
        "Cutter blade chipped",
        "Replaced the auto cutter blade",
        "5 clean cuts on the customer's paper",
        part="cutter",
        weight=2,
    ),
)
FAULTS_BY_KEY = {fault.key: fault for fault in FAULTS}

# {cutter} / {Cutter} become "cutter OK" or what was done about it.
PM_SUMMARIES = {
    "HP": (
        "PM: cleaned carriage rod and encoder strip, oiled the rear bushing (HP lube kit), "
        "cleaned the service station, {cutter}. Printhead alignment and paper-advance "
        "calibration done; test plot clean."
    ),
    "Canon": (
        "PM: cleaned the linear scale and carriage shaft, checked maintenance cartridge life, "
        "{cutter}. Head alignment and colour calibration on their bond; nozzle check clean."
    ),
    "Epson": (
        "PM: cleaned the CR scale, caps and wiper; maintenance box life checked. {Cutter}, "
        "head alignment and colour calibration done; test plot clean."
    ),
}
PM_CONSUMABLES = {
    "HP": ("CON-IPA-WIPES", "CON-LINT-CLOTH", "HP-LUBE-KIT"),
    "Canon": ("CON-IPA-WIPES", "CON-LINT-CLOTH", "CON-FOAM-SWABS"),
    "Epson": ("CON-IPA-WIPES", "CON-LINT-CLOTH", "CON-FOAM-SWABS"),
}


# The story of the last few days and of today, so Today, the board and the feed have content.


@dataclass(frozen=True)
class PlotterRef:
    customer: str  # the customer's name as in CUSTOMERS
    model: str  # a key of MODELS
    index: int = 0  # which of that customer's plotters of this model


@dataclass(frozen=True)
class RecentVisit:
    tech: str  # the tech's email
    plotter: PlotterRef
    days_ago: int  # business days before today
    time: str  # local start time, HH:MM
    fault: str | None  # a key of FAULTS; None for a PM
    outcome: str
    # Fitted a part the van did not have on record (taken off the warehouse shelf unlogged),
    # so the van shows a negative level for the office to sort out.
    unlogged_pickup: bool = False
    tag: str = ""  # names the job for THREADS


@dataclass(frozen=True)
class TodayJob:
    plotter: PlotterRef
    tech: str | None
    time: str | None  # local time scheduled today
    priority: str
    source: str
    kind: str
    problem: str
    code: str = ""
    caller: str = ""
    created_hours_ago: float = 20
    tag: str = ""


@dataclass(frozen=True)
class RequestSeed:
    plotter: PlotterRef
    name: str
    phone: str
    email: str
    problem: str
    minutes_ago: int
    converted_to: str = ""  # the tag of the TodayJob made from it


RECENT_VISITS: tuple[RecentVisit, ...] = (
    RecentVisit(
        SAM, PlotterRef("Lakeshore Reprographics", "T830"), 17, "09:00", "hp-encoder", "fixed"
    ),
    RecentVisit(
        SAM,
        PlotterRef("BluePrint Express Schaumburg", "T2600"),
        3,
        "10:30",
        "hp-formatter",
        "needs_parts",
        tag="bpx-formatter",
    ),
    RecentVisit(
        PRIYA,
        PlotterRef("Signal Hill Signs & Graphics", "P8570"),
        2,
        "13:00",
        "epson-head",
        "needs_parts",
        tag="signal-head",
    ),
    RecentVisit(
        SAM, PlotterRef("Halvorsen Kline Architects", "T830"), 1, "09:30", "hp-belt", "fixed"
    ),
    RecentVisit(
        PRIYA, PlotterRef("Fox River County GIS Office", "Z9+"), 1, "10:00", None, "pm_done"
    ),
    RecentVisit(
        LUIS,
        PlotterRef("Tollway Engineering Associates", "T1700"),
        1,
        "13:30",
        "hp-trailing",
        "fixed",
        unlogged_pickup=True,
    ),
)

TODAY_JOBS: tuple[TodayJob, ...] = (
    TodayJob(
        PlotterRef("Lakeshore Reprographics", "T830"),
        SAM,
        "08:30",
        "high",
        "phone",
        "repair",
        "87:11 again on the self-serve T830, same as last month. Stops partway through plots.",
        "87:11",
        "Dana Ruiz",
        18,
        tag="lakeshore-8711",
    ),
    TodayJob(
        PlotterRef("Halvorsen Kline Architects", "T1700"),
        SAM,
        "10:30",
        "urgent",
        "phone",
        "repair",
        "Carriage won't move, panel says 86:01. Permit set has to go out tomorrow morning.",
        "86:01",
        "Owen Pike",
        2.5,
        tag="hk-8601",
    ),
    TodayJob(
        PlotterRef("Brightwater Structural Engineers", "T650"),
        SAM,
        "13:30",
        "low",
        "preventive",
        "preventive",
        "Scheduled preventive maintenance (PM contract, every 6 months).",
        created_hours_ago=340,
    ),
    TodayJob(
        PlotterRef("Prairie Line Civil Engineering", "T830"),
        SAM,
        "15:30",
        "normal",
        "email",
        "repair",
        "Faint horizontal bands in area fills on the survey plots.",
        "",
        "Kelly Ames",
        26,
    ),
    TodayJob(
        PlotterRef("Meridian Fine Art Printing", "P8570"),
        PRIYA,
        "09:00",
        "normal",
        "preventive",
        "preventive",
        "Scheduled preventive maintenance and colour calibration (PM contract, every 4 months).",
        created_hours_ago=300,
    ),
    TodayJob(
        PlotterRef("Riverwalk Print & Copy", "TM-300"),
        PRIYA,
        "11:30",
        "high",
        "qr_request",
        "repair",
        "Stopped mid-job with EC03-2F21 on the screen. Restarting doesn't help.",
        "EC03-2F21",
        "Carlos Mendez",
        19,
        tag="riverwalk-ec03",
    ),
    TodayJob(
        PlotterRef("Fox River County GIS Office", "T5170"),
        PRIYA,
        "14:30",
        "normal",
        "email",
        "repair",
        "Printer says the maintenance box needs replacing and won't print.",
        "",
        "Denise Park",
        23,
    ),
    TodayJob(
        PlotterRef("Northbrook State University", "T830", 1),
        LUIS,
        "09:30",
        "normal",
        "phone",
        "repair",
        "Cutter tears the edge of the sheets; students are trimming by hand.",
        "",
        "Jordan Kim (lab monitor)",
        21,
    ),
    TodayJob(
        PlotterRef("Ironbridge Construction Group", "T650"),
        LUIS,
        "13:00",
        "high",
        "phone",
        "repair",
        "Site trailer plotter shows 79:04 every time it is switched on.",
        "79:04",
        "Gina Maldonado",
        4,
        tag="ironbridge-7904",
    ),
    TodayJob(
        PlotterRef("Village of Cedar Ridge Public Works - Engineering", "T830"),
        LUIS,
        "15:00",
        "low",
        "preventive",
        "preventive",
        "Scheduled preventive maintenance (PM contract, every 6 months).",
        created_hours_ago=320,
    ),
    TodayJob(
        PlotterRef("BluePrint Express Schaumburg", "T1700"),
        None,
        None,
        "normal",
        "email",
        "repair",
        "Banding on large area fills since last week; paper-advance calibration didn't fix it.",
        "",
        "Shauna Price",
        3,
    ),
    TodayJob(
        PlotterRef("Big Shoulders Sign Co.", "Z9+"),
        None,
        None,
        "high",
        "phone",
        "repair",
        "Printhead error on the panel after swapping an ink cartridge; nothing prints.",
        "",
        "Frankie Doyle",
        1.5,
    ),
    TodayJob(
        PlotterRef("Keller Dunn Builders", "TM-300"),
        None,
        None,
        "normal",
        "email",
        "repair",
        "Paper skews when loading sheets and the printer asks to reload.",
        "",
        "Ray Dunn",
        6,
    ),
)

SERVICE_REQUESTS: tuple[RequestSeed, ...] = (
    RequestSeed(
        PlotterRef("Riverwalk Print & Copy", "TM-300"),
        "Carlos Mendez",
        "+1 (630) 555-0114",
        "",
        "Stopped mid-job with EC03-2F21 on the screen. Restarting doesn't help.",
        1150,
        converted_to="riverwalk-ec03",
    ),
    RequestSeed(
        PlotterRef("Sato Photography Studio", "P8570"),
        "Kenji Sato",
        "+1 (312) 555-0152",
        "kenji@satophoto.example",
        "Faint light line across every print about 2 inches from the top. Nozzle check looks OK.",
        95,
    ),
    RequestSeed(
        PlotterRef("Harborview Medical Center - Facilities Engineering", "T650"),
        "Jim Alvarez",
        "",
        "facilities.eng@harborviewmc.example",
        "Lines missing on the left side of drawings. Can someone come this week?",
        40,
    ),
)

# Job threads: (author's email, minutes ago, text), keyed by the job's tag.
THREADS: dict[str, tuple[tuple[str, int, str], ...]] = {
    "lakeshore-8711": (
        (
            MARIA,
            170,
            "Dana says it's the same 87:11 as the visit three weeks ago. History shows "
            "you cleaned the strip then, so it might be the trailing cable this time.",
        ),
        (
            SAM,
            150,
            "Agreed, I'll check the cable at the fold first. T830 trailing cable isn't on "
            "my van - can you put one out for pick-up in case?",
        ),
        (MARIA, 140, "Done, it's on the shelf by the door with your name on it."),
    ),
    "hk-8601": (
        (
            MARIA,
            120,
            "Urgent one: Halvorsen Kline have a permit set going out tomorrow 9 am. "
            "Can you get there before 11?",
        ),
        (SAM, 105, "Yes, straight after Lakeshore. T1700 belt is on the van."),
    ),
    "bpx-formatter": (
        (
            SAM,
            4200,
            "Formatter on the T2600 is dead, won't boot past initialising. Not on the "
            "van, needs ordering.",
        ),
        (
            MARIA,
            4100,
            "Ordered from HP, ETA Thursday. I've told Ken; they're printing on the "
            "T1700 meanwhile.",
        ),
    ),
    "signal-head": (
        (
            PRIYA,
            2700,
            "P8570 head has a damaged nozzle plate - looks like a head strike on "
            "curled vinyl. Needs a new head.",
        ),
        (MARIA, 2600, "Epson confirmed it ships tomorrow. I told Nate Friday at the earliest."),
        (PRIYA, 2550, "Thanks. I asked them to keep the media flat and dry until then."),
    ),
    "ironbridge-7904": (
        (
            MARIA,
            200,
            "Site trailer: hard hat, hi-vis and steel toes. Gate code is 4471, ask for "
            "Gina at the trailer.",
        ),
        (LUIS, 180, "Got it, thanks. Sounds like a stuck job - I'll bring the RIP settings sheet."),
    ),
}
