"""The four core SOPs, written as the owner would brief a new tech, and how they are published."""

from __future__ import annotations

from dataclasses import dataclass, replace

from fieldapp.sops.models import SopVersion
from fieldapp.sops.services import StepText, publish_sop_version

from .data import METER_UNIT


@dataclass(frozen=True)
class SopText:
    slug: str
    title: str
    category: str
    summary: str
    steps: tuple[StepText, ...]


INTAKE = SopText(
    "service-call-intake",
    "Service call intake and dispatch",
    "intake",
    "Taking a service call and getting the right tech, with the right parts, to the right "
    "plotter. Whoever answers the phone or reads the email follows this before a job is "
    "assigned.",
    (
        StepText(
            "Take the caller's name, a direct phone number and who will be on site",
            "Write down who called and a number that rings in the print room, not the main "
            "switchboard: the tech will call it from the car park. Ask who will be there when "
            "the tech arrives; an adult who can authorise the work must be present, and Epson "
            "on-site work requires it. If the caller is a walk-in customer of a print shop, get "
            "the shop manager's name instead.",
            "check",
        ),
        StepText(
            "Identify the plotter by its QR short code or serial number",
            "Ask the caller to read the code printed under the QR label (PM-XXXX-XXXX) and find "
            "it with the search box; if there is no label, ask for the serial number from the "
            "serial label, usually at the back (HP serials are normally 10 characters starting "
            "with a 2-letter country code such as CN or SG). Pass when it matches a plotter "
            "on file with the same make and model. "
            "Fail when the plotter is not on file or the label is missing: create the plotter "
            "record and put 'bring a new label' in the job.",
            "pass_fail",
        ),
        StepText(
            "Read the plotter's history and contract status",
            "Open the plotter page. A visit with the same error code in the last 90 days means "
            "the first fix treated a symptom: say so in the job and tell the tech which parts "
            "were fitted last time. Check whether the plotter is on a PM contract or a "
            "manufacturer plan (HP Care Pack, Canon eCarePAK, Epson Preferred) so the job is "
            "billed correctly and warranty parts are claimed instead of bought.",
            "check",
        ),
        StepText(
            "Record the symptom in the caller's words and the exact error code",
            "Ask them to read the full code from the front panel, for example 86:01 or 87:11 on "
            "an HP, EC03-2F21 on a Canon, or the hex number after 'Service call error' on an "
            "Epson. 'It says paper jam' is not enough: HP shows 86:01 as 'possible paper jam'. "
            "Ask when it started, what was printing, and whether switching off and on cleared "
            "it. Put the code in the job's error code field so recurrence is tracked.",
            "check",
        ),
        StepText(
            "Try the safe first-line fixes by phone",
            "Have them switch the plotter off at the power switch, wait 30 seconds and switch "
            "on. For HP 79:04 ask them to delete the stuck job from the queue and resend it "
            "through the HP driver as raster. Clear a paper jam only by the steps on the panel. "
            "Never ask a customer to open service covers, oil anything or touch the encoder "
            "strip. Pass when the plotter is back printing (close the job as resolved by "
            "phone); fail when a visit is needed.",
            "pass_fail",
            required=False,
        ),
        StepText(
            "Set the priority",
            "Urgent: plotter down with a deadline today, or the only production plotter at a "
            "print shop. High: down but they have another plotter. Normal: prints with defects "
            "or an intermittent error. Low: preventive maintenance, moves, cosmetic issues. If "
            "in doubt ask 'what can't you print today because of this?'",
            "check",
        ),
        StepText(
            "Choose who goes and when",
            "Match the make to the tech (Priya for Canon and Epson, Sam and Luis for HP), then "
            "the tech who already has the likely part on the van, then distance. Schedule "
            "urgent calls the same day even if it means moving a PM. Tell the customer the "
            "arrival window, not an exact time.",
            "check",
        ),
        StepText(
            "Make sure the likely part is on the assigned van",
            "From the error code, work out the likely part (86:01: carriage belt; 87:xx: "
            "trailing cable or encoder strip; 21:xx: service station; streaks: printhead) and "
            "check the tech's van stock. Pass when it is on the van. Otherwise transfer it from "
            "the warehouse for morning pick-up, or order it and set the job to waiting for "
            "parts. Printheads, boards and Epson parts normally live in the warehouse.",
            "pass_fail",
        ),
        StepText(
            "Confirm the visit window and site access with the customer",
            "Read back the arrival window and note anything the tech needs to get in: loading "
            "dock, parking, security sign-in, badges, PPE for construction sites, PO numbers. "
            "Put it in the customer's notes if it will apply next time as well.",
            "check",
        ),
    ),
)

REPAIR = SopText(
    "onsite-diagnostic-repair",
    "On-site diagnostic and repair visit",
    "repair",
    "The visit from arrival to sign-off: prove the fault, fix it, prove the fix. Every repair "
    "visit follows these steps in order; a fault you cannot reproduce is still written up.",
    (
        StepText(
            "Arrive, sign in and scan the plotter's QR label",
            "Sign in at reception or security as the customer's notes say. Scan the label "
            "before touching the plotter so the visit is logged against the right machine. If "
            "the label is missing or unreadable, claim a new label for this plotter and check "
            "the serial number on the rear label matches the record.",
            "check",
        ),
        StepText(
            "Read the plotter's history before you start",
            "Check the last visits, the parts fitted and any repeat error codes. A second 86:01 "
            "within 90 days of a new belt means look beyond the belt: carriage rod friction, "
            "the encoder strip and the carriage stopper. A repeat 87:xx after a strip cleaning "
            "points at the trailing cable or the encoder sensor.",
            "check",
        ),
        StepText(
            "Confirm the symptom with the user and record the error code",
            "Have the user show you what happens. Record every error code exactly as shown. On "
            "HP print the service information pages and read the event log (last 20 errors "
            "with dates); on Canon print the printer information, on Epson the status sheet. "
            "Note the firmware version.",
            "check",
        ),
        StepText(
            "Record the meter reading from the usage report",
            "HP: front panel, Internal prints, User information prints, Print usage report, or "
            "in the EWS under History, Usage. Enter the total printed area. Canon and Epson: "
            "take it from the printer information or status sheet. Read it, never estimate; if "
            "the plotter cannot print, skip the step and say why in the note.",
            "measure",
            unit=METER_UNIT,
            meter=True,
        ),
        StepText(
            "Reproduce the fault and photograph the test plot before the repair",
            "Run the customer's job, then a nozzle check or the image-quality diagnostic print, "
            "and the service tests that match the symptom (scan axis, service station, "
            "sensors). Photograph the plot next to the panel showing the code. If the fault "
            "will not show after two attempts and the service tests pass, record no fault "
            "found and explain what you tried.",
            "photo",
        ),
        StepText(
            "Power off, take ESD precautions and inspect the mechanics",
            "Switch off and unplug, wear the wrist strap clipped to chassis ground. Move the "
            "carriage by hand across its full travel: it should glide with no rough spots. "
            "Belt: no split teeth, bare fibres or black dust. Encoder strip: clean, seated, not "
            "kinked (blurred index lines against white paper mean dirty). Trailing cable: no "
            "creases at the fold. Service station caps and wipers intact, pinch rollers and "
            "paper path clear, cutter runs freely. Pass when nothing is wrong beyond the "
            "reported fault; fail and note anything else you find.",
            "pass_fail",
        ),
        StepText(
            "Clean, adjust or replace the faulty part",
            "Follow the removal and installation procedure in the service manual for the "
            "model, and check the exact part number against the plotter's product number "
            "before fitting. Clean encoder strips with isopropyl alcohol on a lint-free cloth, "
            "supporting the strip so it is not stretched. Oil the carriage rod only with "
            "non-evaporating oil from the HP lubrication kit, 2 to 3 drops on the rear bushing; "
            "never spray lubricant, it goes sticky and raises friction (42:10). Log each part "
            "as you fit it and keep the old one for the RMA.",
            "check",
        ),
        StepText(
            "Run the service calibrations for what you changed",
            "After any part replacement run the calibrations listed for that part in HP's "
            "Service Calibration Guide to Removal and Installation (or the Canon / Epson "
            "service manual): scan-axis after a belt or trailing cable, printhead alignment "
            "after a printhead or carriage, paper-advance calibration after rollers or for "
            "banding. Pass when every calibration completes without an error.",
            "pass_fail",
        ),
        StepText(
            "Print the same test plot after the repair and photograph it",
            "Print the same plot as before and photograph it beside the first one. Good looks "
            "like: no missing nozzles on the nozzle check, no banding in area fills, straight "
            "fine lines, even colour blocks. Then print the customer's own job if they have "
            "one waiting.",
            "photo",
        ),
        StepText(
            "Check the error log is clear and the plotter is back in service",
            "Power cycle once more and confirm no new errors or warnings in the event log. "
            "Reload the customer's media with their media profile and leave the plotter "
            "online and ready. Fail if the fault is still present or the fix needs a part you "
            "do not have: set the outcome to needs parts or needs follow-up.",
            "pass_fail",
        ),
        StepText(
            "Explain the work and get the customer's sign-off",
            "Tell the user in plain words what failed, what you replaced and what they can do "
            "to avoid it (for example: no spray lubricants, keep the cover closed). Recommend "
            "the next PM date. Get their signature and printed name on the phone. Bag and tag "
            "any defective part with the job number for the RMA.",
            "check",
        ),
    ),
)

PREVENTIVE = SopText(
    "preventive-maintenance",
    "Preventive maintenance visit",
    "preventive",
    "The PM every contract plotter gets two or three times a year. The aim is to catch the "
    "belt, strip and service-station problems before they become a breakdown call.",
    (
        StepText(
            "Scan the plotter, read its history and agree the downtime",
            "Scan the label, read the last visits and open jobs. A PM takes the plotter out of "
            "service for 60 to 90 minutes: agree a time with the user and make sure nothing is "
            "queued. Any complaint the user mentions becomes part of this visit; note it.",
            "check",
        ),
        StepText(
            "Print the usage report and record the meter reading",
            "HP: front panel, Internal prints, User information prints, Print usage report, or "
            "EWS History, Usage. Enter the total printed area. Also note printhead status from "
            "the printhead log (0 = OK, 2 = replace) and the ink used against the warranty "
            "volume. Canon: printhead and maintenance cartridge life from the printer "
            "information. Epson: maintenance box life from the status sheet.",
            "measure",
            unit=METER_UNIT,
            meter=True,
        ),
        StepText(
            "Print a test plot before any cleaning and photograph it",
            "Print a nozzle check and the image-quality diagnostic plot before you touch "
            "anything. It is the baseline that shows the customer what the PM changed, and it "
            "tells you which nozzles or colours need attention.",
            "photo",
        ),
        StepText(
            "Measure the print-room humidity",
            "Read the humidity with the meter from the van, away from vents. Note in the "
            "summary if it is outside the operating range in the model's site preparation "
            "guide: media curls and head strikes go up in dry or damp rooms, and customers "
            "often blame the plotter.",
            "measure",
            required=False,
            unit="%RH",
        ),
        StepText(
            "Clean the carriage rod and the encoder strip",
            "Power off, unplug, wrist strap on. Wipe the old oil and ink mist off the carriage "
            "rod with a lint-free cloth. On HP apply 2 to 3 drops from the HP lubrication kit "
            "to the carriage rear bushing and run the carriage by hand to spread it; "
            "non-evaporating oil only, never WD-40 or any spray. Wipe the encoder strip gently "
            "along both sides with isopropyl alcohol on a lint-free cloth, paying attention to "
            "the end over the service station where ink mist collects, and let it dry.",
            "check",
        ),
        StepText(
            "Inspect the carriage belt and trailing cable",
            "Belt: no split or missing teeth, no bare fibres, no black dust on the rail or "
            "flecks on prints. Trailing cable: no cracks or creases at the bend and both ends "
            "fully seated. Fail if either shows wear: replace it now if it is on the van, "
            "otherwise order it and book a follow-up before it becomes an 86:01 or 87:xx call.",
            "pass_fail",
        ),
        StepText(
            "Clean the service station and check the maintenance cartridge",
            "Clean the caps and wipers with a foam swab (check the service manual for the "
            "cleaning fluid the model allows on its rubber parts). Check the maintenance "
            "cartridge or box life on Canon and Epson and replace it if the printer reports it "
            "nearly full: a full Epson maintenance box stops both printing and cleaning. Pass "
            "when the caps seal, the wipers are intact and there is life left.",
            "pass_fail",
        ),
        StepText(
            "Check the cutter",
            "Cut three sheets on the customer's usual paper. Good is a clean, square edge with "
            "no tearing and no hanging corner. Fail and replace the cutter assembly (they are "
            "on the vans) if the edge is ragged or the cutter stalls.",
            "pass_fail",
        ),
        StepText(
            "Clean the paper path, pinch rollers and media sensor",
            "Vacuum paper dust and trimmings off the platen and its vacuum holes. Inspect the "
            "pinch rollers for flat spots and ink, and wipe them. Clean the media sensor window "
            "with a dry foam swab.",
            "check",
        ),
        StepText(
            "Update the firmware if the office has approved a newer release",
            "Check the installed version in the EWS. Update through the EWS or from USB only to "
            "a release the office lists as approved, and only when the customer's RIP or print "
            "server is not pinned to the current version (ask IT first where the notes say "
            "so). Never switch off during an update.",
            "check",
            required=False,
        ),
        StepText(
            "Run printhead alignment, paper-advance and colour calibration",
            "Align the printheads on the media the customer uses most, run paper-advance "
            "calibration if there was any banding on the before plot, and colour calibration "
            "for their main paper. Pass when all three complete without errors.",
            "pass_fail",
        ),
        StepText(
            "Print the test plot after the PM, photograph it and get sign-off",
            "Print the same plot as before and photograph the two side by side; leave the "
            "printed pair with the customer. Good is a clean nozzle check, even fills and "
            "straight lines. Recommend the next PM date and get the customer's signature.",
            "photo",
        ),
    ),
)

PARTS = SopText(
    "parts-use-van-restock",
    "Parts use and van restock",
    "parts",
    "How parts leave the van and come back into it. The van count in the app is only right "
    "if every part is logged when it is used and every transfer is recorded.",
    (
        StepText(
            "Check the part matches the plotter before fitting it",
            "Compare the part number on the box with the parts list in the service manual for "
            "the plotter's product number. Look-alike parts are the usual trap: HP spare "
            "numbers follow the product number (the <product#>-67xxx form, e.g. CR357-67010), "
            "and belts, encoder strips and trailing cables differ between 24-, 36- and 44-inch "
            "models because their length does. Canon maintenance cartridges (MC-30, MC-31) "
            "are easy to mix up: check the exact part number in the service manual. Fail and "
            "do not open the bag if it does not match.",
            "pass_fail",
        ),
        StepText(
            "Log each part in the app the moment you use it",
            "Add it to the visit's parts list with quantity, from the van. Logging offline is "
            "fine; it syncs when you have signal. Do not save it up for the end of the day. "
            "The app always accepts a use, even when your van shows none; if that happens, "
            "tell the office where the part came from.",
            "check",
        ),
        StepText(
            "Record the serial numbers of the fitted and removed parts",
            "Printheads, boards and power supplies have serial numbers; put both in the visit "
            "note. The manufacturer asks for them on a warranty claim and the RMA.",
            "check",
            required=False,
        ),
        StepText(
            "Bag, tag and return the defective part",
            "Boards and printheads go in an ESD bag. Tag every defective part with the job "
            "number, plotter serial, error code and date, photograph the tag and bring the "
            "part to the warehouse for the RMA. Do not throw away a printhead that may be under "
            "warranty (HP: up to about 1,000 ml of ink through the head and within 24 months of "
            "manufacture).",
            "photo",
        ),
        StepText(
            "Count the van at the end of the day",
            "Count every bin against the van stock list in the app and enter how many lines do "
            "not match. A difference means a use or transfer was not logged: tell the office "
            "so they can record an adjustment with the reason.",
            "measure",
            unit="lines",
        ),
        StepText(
            "Check the cleaning consumables and ESD strap for tomorrow",
            "You need at least two visits' worth of isopropyl alcohol wipes, lint-free cloths "
            "and swabs, a lubrication kit with oil in it and a working ESD strap. A tech "
            "without the right consumables ends up using whatever the customer has, which is "
            "how spray lubricant gets onto carriage rods.",
            "pass_fail",
        ),
        StepText(
            "Send the restock request",
            "Request everything the app shows below its reorder point, plus the likely parts "
            "for tomorrow's jobs (look at their error codes). The office transfers them from "
            "the warehouse for morning pick-up; check the transfer in the app when you collect "
            "so both ends of the ledger agree.",
            "check",
        ),
        StepText(
            "Store parts safely in the van overnight",
            "Printheads, ink and maintenance cartridges stay sealed and come inside on nights "
            "that freeze or in summer heat. Boards stay in their ESD bags. Keep the belts flat "
            "and uncoiled so they do not take a set.",
            "check",
            required=False,
        ),
    ),
)

CORE_SOPS: tuple[SopText, ...] = (INTAKE, REPAIR, PREVENTIVE, PARTS)

# Version 2 of the PM, a few weeks old in the demo: the owner moved printhead checks into a
# step of their own, reads the humidity first, and gave it an expected range.
_PM = {step.title: step for step in PREVENTIVE.steps}
HUMIDITY = replace(
    _PM["Measure the print-room humidity"],
    detail="Read the humidity with the meter from the van as you arrive, before covers and "
    "doors have been open for an hour, away from vents. We expect 20 to 80 %RH: that range is "
    "our working guess, not a figure from the guides, until we have checked each model's site "
    "preparation guide; where the guide says otherwise, the guide wins. Outside it, tell the "
    "customer: media curls and head strikes go up in dry or damp rooms, and people blame the "
    "plotter.",
    min_value=20,
    max_value=80,
)
USAGE_REPORT = replace(
    _PM["Print the usage report and record the meter reading"],
    detail="HP: front panel, Internal prints, User information prints, Print usage report, or "
    "EWS History, Usage. Enter the total printed area. Canon and Epson: take it from the "
    "printer information or the status sheet. Read it, never estimate.",
)
PRINTHEAD_LOG = StepText(
    "Check the printheads in the printhead log",
    "HP: open the printhead log in the EWS or on the service information pages. Each head "
    "shows a status (0 = OK, 2 = replace, 4 = reseat) and the ink used against the warranty "
    "volume of about 1,000 ml through the head; a head also expires 24 months after it was "
    "made. Canon: printhead life from the printer information. Epson: the nozzle check on "
    "the before plot. Pass when every head reads OK. Fail when one asks to be replaced or "
    "reseated: say which in the note, and whether it is still within the warranty volume.",
    "pass_fail",
)
PREVENTIVE_V2 = replace(
    PREVENTIVE,
    steps=(
        PREVENTIVE.steps[0],
        HUMIDITY,
        USAGE_REPORT,
        PRINTHEAD_LOG,
        *(
            step
            for step in PREVENTIVE.steps[1:]
            if step.title not in (HUMIDITY.title, USAGE_REPORT.title)
        ),
    ),
)
PREVENTIVE_V2_NOTE = (
    "Printheads get a step of their own after the usage report (a head due for replacement "
    "is caught before the customer sees banding). Humidity is read first, as you arrive, and "
    "now expects 20 to 80 %RH (our working guess until we check the site preparation guides)."
)


def publish_core_sops(author_id: int) -> dict[str, SopVersion]:
    """Publish version 1 of each core SOP in the current transaction, keyed by slug."""
    return {
        sop.slug: publish_sop_version(
            sop.slug,
            title=sop.title,
            category=sop.category,
            summary=sop.summary,
            steps=sop.steps,
            change_note="First version, written from how we already work.",
            author_id=author_id,
        )
        for sop in CORE_SOPS
    }


def publish_preventive_v2(author_id: int) -> SopVersion:
    """Publish version 2 of the PM through the same draft and publish the editor uses."""
    return publish_sop_version(
        PREVENTIVE_V2.slug,
        title=PREVENTIVE_V2.title,
        category=PREVENTIVE_V2.category,
        summary=PREVENTIVE_V2.summary,
        steps=PREVENTIVE_V2.steps,
        change_note=PREVENTIVE_V2_NOTE,
        author_id=author_id,
    )
