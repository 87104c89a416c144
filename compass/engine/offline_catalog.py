"""What the offline model knows: industries, workflow concepts and real tools.

Content, not logic. Each concept is one workflow idea with several ways to name and
describe it, so that different "analysts" word the same idea differently. Rows are
`(key, domain, feasibility, impact 1–5, weeks to value, "tool, tool", metric,
"keyword words", "name | name | name", "description | description", problem[, audience])`;
keywords are what a customer writing about this idea would say, the first two the most
telling; an audience limits an idea to customers who use one of its words.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Concept:
    key: str
    family: str
    domain: str
    feasibility: str
    impact: int
    weeks: int
    tools: tuple[str, ...]
    metric: str
    keywords: tuple[str, ...]
    names: tuple[str, ...]
    descriptions: tuple[str, ...]
    problem: str
    # When set, only customers who use one of these words get this idea (hotels, not cafés).
    audience: tuple[str, ...] = ()


@dataclass(frozen=True)
class Family:
    key: str
    label: str
    match: tuple[str, ...]  # word prefixes that place a customer in this family
    context: str
    processes: tuple[str, ...]
    risks: tuple[str, ...]
    concepts: tuple[Concept, ...]


Row = tuple  # the columns above, optionally followed by an audience ("hotel hotels ...")

HOTELS = "hotel hotels guesthouse hostel inn resort lodge rooms airbnb rental rentals"
FOOD = "restaurant restaurants cafe cafes café bar pub bistro bakery catering kitchen food menu"
LEGAL = "law legal lawyer lawyers attorney attorneys solicitor solicitors paralegal"
ACCOUNTING = "accounting accountant accountants bookkeeping bookkeeper tax cpa payroll"
ESTATE_AGENTS = "estate realtor realtors agent agents agency brokerage broker buyers sellers homes"
LETTINGS = "letting lettings vacancies vacancy"
DENTAL = "dental dentist dentists dentistry orthodontic orthodontist hygienist hygienists"


def _family(key: str, label: str, match: str, context: str, processes: tuple[str, ...],
            risks: tuple[str, ...], rows: tuple[Row, ...]) -> Family:
    concepts = tuple(
        Concept(ckey, key, domain, feasibility, impact, weeks, tuple(tools.split(", ")),
                metric, tuple(keywords.split()), tuple(names.split(" | ")),
                tuple(descriptions.split(" | ")), problem, tuple(" ".join(audience).split()))
        for (ckey, domain, feasibility, impact, weeks, tools, metric, keywords, names,
             descriptions, problem, *audience) in rows
    )
    return Family(key, label, tuple(match.split()), context, processes, risks, concepts)


# name -> (category, what it is used for)
TOOLS: dict[str, tuple[str, str]] = {
    "Zapier": ("No-code integration", "connects the apps in use and runs automation steps"),
    "Make": ("No-code integration", "multi-step automations between apps"),
    "Power Automate": ("No-code integration", "flows across Microsoft 365 and other apps"),
    "Google Workspace": ("Office suite", "the team's email, calendar, documents and forms"),
    "Microsoft 365": ("Office suite", "the team's Outlook, Teams, SharePoint and Excel"),
    "Microsoft 365 Copilot": ("AI assistant", "AI drafting and search across Microsoft 365"),
    "Google Sheets": ("Spreadsheet", "shared tables that automations can read and write"),
    "Slack": ("Team chat", "alerts and approvals where the team already talks"),
    "Notion": ("Knowledge base", "procedures, checklists and shared notes in one searchable place"),
    "Airtable": ("Database", "a structured shared database with forms, views and automations"),
    "Asana": ("Work management", "tasks, owners and due dates for hand-offs between people"),
    "Loom": ("Video messaging", "short screen recordings that explain a process"),
    "Scribe": ("Process documentation", "turns a recorded process into a step-by-step guide"),
    "Trainual": ("Training platform", "onboarding playbooks and staff training tracks"),
    "OpenAI API": ("AI model API", "language model calls for drafting, classifying and extracting"),
    "Claude API": ("AI model API", "language model calls for drafting and classifying"),
    "Google Document AI": ("Document AI", "reads PDFs and scans and returns structured fields"),
    "Azure Machine Learning": ("ML platform", "trains and hosts forecasting models"),
    "Rossum": ("Document AI", "extracts data from invoices and transport documents"),
    "Nanonets": ("Document AI", "extracts fields from documents and emails with trainable models"),
    "HubSpot": ("CRM", "contacts, deals, email sequences and reporting in one CRM"),
    "Pipedrive": ("CRM", "a simple sales pipeline with activity reminders"),
    "Salesforce": ("CRM", "enterprise CRM for pipeline, service and reporting"),
    "PandaDoc": ("Documents & e-signature", "quote and proposal templates with e-signature"),
    "DocuSign": ("E-signature", "sends documents for legally binding electronic signature"),
    "Dropbox Sign": ("E-signature", "simple e-signature for forms and agreements"),
    "Calendly": ("Scheduling", "self-service booking links with reminders"),
    "Fireflies.ai": ("Meeting assistant", "records, transcribes and summarises meetings"),
    "Zoom": ("Video meetings", "video calls that can be recorded and transcribed"),
    "Typeform": ("Forms & surveys", "conversational forms and surveys"),
    "Jotform": ("Forms", "online forms, including HIPAA-compliant forms, with e-signature"),
    "Intercom": ("Customer messaging", "chat widget, help centre and the Fin AI agent"),
    "Zendesk": ("Help desk", "ticketing, macros and AI-assisted replies"),
    "Freshdesk": ("Help desk", "ticketing and canned responses for small teams"),
    "Help Scout": ("Help desk", "a shared inbox with AI-drafted replies"),
    "Tidio": ("Live chat", "website chat with an AI answer bot"),
    "Gorgias": ("E-commerce help desk", "support tickets tied to Shopify orders"),
    "Aircall": ("Cloud phone", "business phone lines with call recording and transcripts"),
    "RingCentral": ("Cloud phone", "business phone, SMS and call transcription"),
    "CallRail": ("Call tracking", "tracks and transcribes inbound calls and missed calls"),
    "Twilio": ("Messaging API", "sends and receives SMS and voice calls programmatically"),
    "Podium": ("Messaging & reviews", "text messaging with customers and review requests"),
    "Birdeye": ("Reputation management", "review requests, monitoring and replies"),
    "Trustpilot": ("Reviews", "collects and displays verified customer reviews"),
    "Google Business Profile": ("Local listing", "the business's Google listing and its reviews"),
    "Mailchimp": ("Email marketing", "newsletters, segments and automated email journeys"),
    "Klaviyo": ("E-commerce marketing", "email and SMS flows driven by store data"),
    "Buffer": ("Social scheduling", "plans and schedules posts across social channels"),
    "Canva": ("Design", "templates and AI design tools for posts and documents"),
    "Semrush": ("SEO", "keyword research and content optimisation"),
    "WordPress": ("Website CMS", "publishes website pages and blog articles"),
    "Google Analytics": ("Web analytics", "website traffic and conversion data"),
    "Looker Studio": ("Dashboards", "free dashboards over Sheets, Analytics and ads data"),
    "Power BI": ("Business intelligence", "dashboards and reports over business data"),
    "Meta Ads Manager": ("Advertising", "Facebook and Instagram campaigns and their results"),
    "Customer.io": ("Lifecycle messaging", "behaviour-triggered email and in-app messages"),
    "Postscript": ("SMS marketing", "SMS campaigns and flows for Shopify stores"),
    "QuickBooks Online": ("Accounting", "invoices, bills, bank feeds and reports"),
    "Xero": ("Accounting", "invoices, bills, bank reconciliation and reports"),
    "Dext": ("Bookkeeping automation", "captures receipts and bills into the books"),
    "Chaser": ("Credit control", "automated, personalised payment reminders"),
    "BILL": ("Accounts payable", "bill approvals and supplier payments"),
    "Float": ("Cash flow forecasting", "cash flow forecasts from accounting data"),
    "Stripe": ("Payments", "card payments, payment links and invoices"),
    "Stripe Billing": ("Subscription billing", "subscriptions, invoices and smart payment retries"),
    "Chargebee": ("Subscription billing", "subscription billing and dunning"),
    "A2X": ("E-commerce accounting", "reconciles store and marketplace payouts into the books"),
    "Stampli": ("Accounts payable", "invoice capture, matching and approvals"),
    "Gusto": ("Payroll & HR", "payroll, time off and onboarding"),
    "Clockify": ("Time tracking", "timesheets and time-off tracking"),
    "BambooHR": ("HR system", "employee records, onboarding and time off"),
    "Workable": ("Recruiting", "job posts, applicant tracking and AI screening"),
    "KnowBe4": ("Security awareness", "phishing simulations and security training"),
    "Vanta": ("Compliance automation", "continuous control monitoring and security questionnaires"),
    "Drata": ("Compliance automation", "SOC 2 and ISO 27001 evidence collection"),
    "1Password": ("Password management", "shared vaults and access control for team logins"),
    "Dentrix": ("Practice management", "dental patient records, scheduling and billing"),
    "Weave": ("Patient communication", "texts, calls, reminders and reviews for practices"),
    "NexHealth": ("Patient experience", "online booking, reminders and forms synced with the PMS"),
    "Phreesia": ("Patient intake", "digital check-in, forms and payments"),
    "Vyne Dental": ("Dental claims", "electronic claims, attachments and eligibility"),
    "Availity": ("Insurance eligibility", "eligibility and benefits checks with payers"),
    "Dental Intelligence": ("Practice analytics", "practice KPIs and unscheduled treatment lists"),
    "Nuance Dragon Medical One": ("Clinical dictation", "speech recognition for clinical notes"),
    "Heidi Health": ("AI medical scribe", "drafts clinical notes from the consultation"),
    "Samsara": ("Fleet telematics", "vehicle tracking, driver hours and engine diagnostics"),
    "Motive": ("Fleet telematics", "ELD, driver hours and vehicle tracking"),
    "project44": ("Shipment visibility", "real-time tracking and ETAs across carriers"),
    "FourKites": ("Shipment visibility", "real-time tracking and delay predictions"),
    "Onfleet": ("Last-mile delivery", "dispatch, driver app and proof of delivery"),
    "OptimoRoute": ("Route planning", "multi-stop route optimisation"),
    "Route4Me": ("Route planning", "route optimisation with driver app"),
    "McLeod Software": ("Transport management", "TMS for carriers and brokers"),
    "Rose Rocket": ("Transport management", "TMS with customer portal and dispatch board"),
    "Fleetio": ("Fleet maintenance", "maintenance schedules and work orders for vehicles"),
    "DAT One": ("Load board", "freight rates and load board for spot pricing"),
    "Karbon": ("Practice management", "work, email and client tasks for accounting firms"),
    "TaxDome": ("Practice management", "client portal, document requests and e-signatures"),
    "Ignition": ("Proposals & engagement", "proposals, engagement letters and payment collection"),
    "Onfido": ("Identity verification", "document and biometric ID checks"),
    "Clio": ("Legal practice management", "matters, time capture, billing and intake"),
    "Lawmatics": ("Legal CRM", "intake forms, automations and client onboarding"),
    "Spellbook": ("Legal AI", "contract review and drafting inside Word"),
    "Syft Analytics": ("Financial reporting", "management reports and dashboards from the ledger"),
    "Toggl Track": ("Time tracking", "time tracking with reminders and reports"),
    "Shopify": ("E-commerce platform", "the store, orders, products and customers"),
    "Shopify Flow": ("E-commerce automation", "rules that run on store events"),
    "Inventory Planner": ("Inventory forecasting", "demand forecasts and purchase suggestions"),
    "Cin7": ("Inventory management", "multi-channel stock and purchasing"),
    "Loop Returns": ("Returns", "self-service returns and exchanges"),
    "Okendo": ("Reviews", "product reviews and user-generated content"),
    "Yotpo": ("Reviews & loyalty", "product reviews and loyalty programmes"),
    "Signifyd": ("Fraud prevention", "order fraud screening with chargeback guarantee"),
    "ShipStation": ("Shipping", "labels, carrier rates and fulfilment rules"),
    "Prisync": ("Price monitoring", "competitor price tracking and pricing rules"),
    "SevenRooms": ("Guest management", "reservations, guest profiles and marketing"),
    "OpenTable": ("Reservations", "online table reservations"),
    "7shifts": ("Staff scheduling", "restaurant scheduling from sales forecasts"),
    "Toast": ("Restaurant POS", "point of sale, menu and sales data"),
    "MarketMan": ("Restaurant inventory", "inventory counts, supplier orders and food cost"),
    "Mews": ("Hotel PMS", "property management, guest journey and payments"),
    "Hostaway": ("Rental management", "channel manager and guest messaging for rentals"),
    "Oaky": ("Hotel upselling", "pre-arrival upsell offers"),
    "Deliverect": ("Delivery integration", "brings delivery platform orders into the POS"),
    "PriceLabs": ("Revenue management", "dynamic nightly pricing"),
    "Cloudbeds": ("Hotel PMS", "property management and channel manager"),
    "SafetyCulture": ("Inspections", "digital checklists, inspections and incident reports"),
    "Jobber": ("Field service", "quotes, scheduling, invoicing and client hub"),
    "ServiceTitan": ("Field service", "dispatch, estimates, memberships and reporting"),
    "Housecall Pro": ("Field service", "scheduling, dispatch, invoicing and reviews"),
    "CompanyCam": ("Job photos", "photo documentation and reports from site"),
    "Procore": ("Construction management", "projects, daily logs, RFIs and documents"),
    "Buildertrend": ("Construction management", "schedules, change orders and client portal"),
    "Follow Up Boss": ("Real estate CRM", "lead routing and follow-up for agents"),
    "Zillow Premier Agent": ("Lead source", "buyer leads from Zillow"),
    "ShowingTime": ("Showing scheduling", "books and confirms property showings"),
    "RentRedi": ("Rental management", "tenant screening, rent collection and maintenance"),
    "AppFolio": ("Property management", "leasing, accounting and maintenance for managers"),
    "Buildium": ("Property management", "rent, leases, maintenance and owner reporting"),
    "SkySlope": ("Transaction management", "transaction files, checklists and compliance"),
    "Dotloop": ("Transaction management", "documents, e-signatures and deal tracking"),
    "Paperless Parts": ("Manufacturing quoting", "quotes from CAD files for job shops"),
    "MachineMetrics": ("Machine monitoring", "machine data, downtime and OEE"),
    "UpKeep": ("Maintenance CMMS", "work orders and preventive maintenance"),
    "Landing AI": ("Visual inspection AI", "trains defect-detection models on images"),
    "Cognex": ("Machine vision", "cameras and vision software for inspection"),
    "Katana": ("Manufacturing ERP", "production planning, stock and purchasing"),
    "MRPeasy": ("Manufacturing ERP", "MRP, production scheduling and purchasing"),
    "Fishbowl": ("Inventory management", "inventory and manufacturing orders"),
    "Conexiom": ("Order automation", "turns customer purchase orders into ERP sales orders"),
    "NetSuite": ("ERP", "finance, orders, inventory and purchasing"),
    "Tulip": ("Frontline operations", "digital work instructions and shop-floor apps"),
    "Mixpanel": ("Product analytics", "product usage events and cohorts"),
    "ChurnZero": ("Customer success", "health scores, alerts and playbooks"),
    "Pendo": ("Product experience", "in-app guides and usage analytics"),
    "Segment": ("Customer data platform", "collects product events and sends them to tools"),
    "Linear": ("Issue tracking", "issues, triage and product roadmaps"),
    "Jira": ("Issue tracking", "issues, sprints and service requests"),
    "Sentry": ("Error monitoring", "application errors and performance issues"),
    "GitHub": ("Code hosting", "repositories, pull requests and actions"),
    "GitHub Copilot": ("AI coding assistant", "code suggestions and pull request reviews"),
    "PagerDuty": ("Incident management", "on-call alerts and incident response"),
    "Statuspage": ("Status communication", "public status page and incident updates"),
    "Productboard": ("Product management", "feature requests, insights and roadmaps"),
    "Gradescope": ("Assessment", "AI-assisted grading of assignments and exams"),
    "Canvas LMS": ("Learning management", "courses, assignments and grades"),
    "ClassDojo": ("School communication", "parent messaging and class updates"),
    "Brightwheel": ("Childcare management", "parent communication, check-in and billing"),
    "PowerSchool": ("Student information", "attendance, grades and student records"),
    "Google Classroom": ("Learning management", "assignments and class materials"),
    "TutorCruncher": ("Tutoring management", "lesson booking, tutor matching and invoicing"),
    "Kajabi": ("Course platform", "online courses, email and landing pages"),
}

# Real products a customer or report may name that no concept uses; not unsupported claims.
OTHER_PRODUCTS: tuple[str, ...] = (
    "ChatGPT", "Gemini", "Copilot", "Excel", "Outlook", "Gmail", "Google Calendar",
    "Google Forms", "Google Drive", "SharePoint", "OneDrive", "Teams", "Dropbox", "WhatsApp",
    "Square", "Lightspeed", "WooCommerce", "Amazon", "Sage", "FreshBooks", "Wave", "Monday.com",
    "Trello", "ClickUp", "Open Dental", "Eaglesoft", "Zocdoc", "athenahealth", "Epic",
    "Zoho", "Freshworks", "Mailerlite", "ActiveCampaign", "Hootsuite", "Moodle", "Teachable",
    "Thinkific", "Resy", "Guesty", "Yardi", "Odoo", "SAP", "Tableau", "Amazon Textract",
    "Descartes", "Trimble", "Truckstop", "Simpro", "Fieldwire", "Harvey", "Otter.ai",
)

# Industry families. "general" has no match words: everyone gets its concepts.
FAMILIES: tuple[Family, ...] = (
    _family(
        "healthcare", "Healthcare and dental practices",
        "dental dentist dentistry orthodont clinic medical health physio chiropract "
        "veterinar optometr optician pharmac patient therap doctor hospital surgery gp",
        "Practices earn from booked chair or room time, so revenue follows the schedule: "
        "recalls, confirmations and filled cancellations matter more than new marketing. "
        "Front-desk time goes to phones, reminders, intake paperwork and insurance; "
        "clinicians lose time to notes and charting.",
        ("Appointment booking, confirmation and rescheduling by phone",
         "Recall of patients due for check-ups or follow-up visits",
         "New-patient intake forms and medical history",
         "Insurance eligibility checks, claims and denials",
         "Clinical notes and treatment plan documentation",
         "Treatment plan presentation and follow-up"),
        ("Patient data is health information: every tool must meet HIPAA or GDPR "
         "obligations, with signed business associate or data processing agreements.",
         "Automated messages that feel impersonal can damage patient trust; keep a "
         "friendly tone and an easy way to reach a person.",
         "AI-drafted clinical notes must be reviewed and signed by the clinician."),
        (
            ("hc_recall", "operations", "simple", 4, 3, "Dentrix, Weave, Twilio",
             "Recall appointments booked per month",
             "recall recalls hygiene checkup check-up overdue rebook reactivate lapsed",
             "Automated patient recall reminders | Overdue check-up recall campaign | "
             "Hygiene recall outreach on autopilot",
             "Finds patients overdue for a check-up in the practice system and sends "
             "personalised text and email recall reminders with a self-booking link. | "
             "Every week pulls the list of patients past their recall date, texts them a "
             "booking link and follows up once if they do not rebook their check-up.",
             "Patients slip past their recall date and hygiene chairs sit empty."),
            ("hc_reminders", "customer_service", "simple", 4, 2, "Weave, NexHealth, Twilio",
             "No-show rate",
             "reminder reminders no-show no-shows noshow missed cancellation cancellations "
             "confirm confirmation appointment appointments",
             "Two-way appointment confirmations by text | No-show reduction with SMS "
             "reminders | Automated appointment confirmation and reminders",
             "Texts patients two days and two hours before each appointment, lets them "
             "confirm or reschedule by replying, and flags unconfirmed appointments to the "
             "front desk. | Sends appointment reminders by SMS with a reply-to-confirm "
             "option and moves unconfirmed or cancelled appointments onto a call list.",
             "Missed appointments leave gaps in the schedule and lost revenue."),
            ("hc_waitlist", "operations", "moderate", 3, 4, "NexHealth, Twilio",
             "Chair utilisation",
             "cancellation cancellations gaps gap waitlist empty slots last-minute schedule",
             "Cancellation waitlist auto-fill | Short-notice gap filler for the schedule | "
             "Last-minute appointment backfilling",
             "When an appointment is cancelled, offers the free slot by text to patients on "
             "a waitlist, first come first served, and books the first to accept. | Keeps a "
             "waitlist of patients wanting an earlier slot and texts them automatically "
             "whenever a cancellation opens a gap in the schedule.",
             "Late cancellations leave chair time empty that waiting patients would take."),
            ("hc_intake", "operations", "simple", 3, 2, "Jotform, Phreesia, Dentrix",
             "Front-desk minutes per new patient",
             "forms form intake paperwork registration clipboard history new-patient "
             "check-in typing",
             "Digital patient intake forms | Paperless new-patient registration | Online "
             "medical history and consent forms",
             "Sends new patients a secure online form for details, medical history and "
             "consent before the visit and files the answers into the patient record. | "
             "Replaces clipboards with a secure intake link sent before the appointment, so "
             "history, consent and insurance details arrive typed and filed.",
             "Staff retype paper forms and patients wait at check-in."),
            ("hc_insurance", "finance", "moderate", 4, 5, "Vyne Dental, Availity, Dentrix",
             "Claims denied for eligibility",
             "insurance eligibility benefits verification verify coverage payer payers",
             "Insurance eligibility checks before visits | Automated benefits verification | "
             "Pre-visit insurance verification",
             "Two days before each appointment checks the patient's insurance eligibility "
             "and benefits with the payer and flags problems to the front desk. | Runs "
             "benefits verification for tomorrow's patients automatically and writes "
             "coverage notes into the appointment, so surprises are caught before the visit.",
             "Manual eligibility calls take hours and missed checks cause denials."),
            ("hc_claims", "finance", "advanced", 4, 10, "Vyne Dental, Dentrix, Claude API",
             "Days in accounts receivable",
             "claims claim denied denials rejected resubmission appeal appeals billing "
             "receivable",
             "Denied claim follow-up workflow | Insurance claim tracking and resubmission | "
             "AI-assisted claim denial appeals",
             "Tracks every insurance claim, alerts billing staff when one is denied or "
             "stalls, and drafts the appeal letter with the right codes and attachments. | "
             "Watches outstanding claims, sorts denials by reason, and prepares "
             "resubmissions and appeal drafts for the billing team to check.",
             "Denied and stalled claims tie up cash and staff time."),
            ("hc_notes", "operations", "advanced", 5, 8,
             "Heidi Health, Nuance Dragon Medical One",
             "Documentation minutes per patient",
             "notes note documentation charting charts dictation clinical scribe writing "
             "paperwork",
             "AI clinical note drafting | Ambient clinical documentation | Dictation to "
             "structured clinical notes",
             "Listens to the consultation with consent and drafts the clinical note in the "
             "practice's format for the clinician to review and sign. | Turns the "
             "clinician's dictation or the recorded visit into a structured clinical note "
             "and treatment summary, ready for review.",
             "Clinicians spend evenings finishing notes and charts."),
            ("hc_phone", "customer_service", "moderate", 4, 5, "Weave, Twilio, Claude API",
             "Calls answered",
             "phone phones calls call receptionist front desk bookings after-hours "
             "voicemail busy",
             "AI phone receptionist for bookings | After-hours call answering and booking | "
             "Voice assistant for appointment calls",
             "Answers calls the front desk cannot take, books or moves appointments in the "
             "schedule and passes clinical or urgent calls to staff. | Picks up overflow and "
             "after-hours calls with an AI voice agent that handles booking and common "
             "questions and texts a summary to the front desk.",
             "Calls go unanswered when the front desk is busy or closed."),
            ("hc_treatment_followup", "sales", "simple", 5, 3,
             "Dental Intelligence, Dentrix, Weave",
             "Treatment acceptance rate",
             "treatment plans plan acceptance unscheduled follow-up accepted production "
             "revenue",
             "Unscheduled treatment follow-up | Treatment plan acceptance nudges | "
             "Follow-up for unbooked treatment plans",
             "Lists patients with diagnosed but unscheduled treatment and sends a friendly "
             "sequence of reminders with an easy way to book or ask questions. | Finds "
             "treatment plans that were presented but never booked and follows up by text "
             "and email until the patient books or declines.",
             "Diagnosed treatment goes unbooked and patients forget.",
             DENTAL),
            ("hc_aftercare", "customer_service", "simple", 3, 2, "Weave, Twilio",
             "Post-treatment calls to the practice",
             "aftercare after-care post-op instructions check-in recovery follow-up care",
             "Post-treatment aftercare messages | Automated recovery check-ins | "
             "Aftercare instructions by text after procedures",
             "After a procedure texts the patient their aftercare instructions and checks in "
             "the next day, flagging worrying replies to a clinician. | Sends procedure-"
             "specific aftercare instructions and a next-day recovery check-in, routing any "
             "reported problem to the clinical team.",
             "Patients call with the same aftercare questions and problems surface late."),
            ("hc_privacy", "compliance", "moderate", 3, 5, "Jotform, Vanta",
             "Open compliance findings",
             "hipaa gdpr privacy consent consents compliance audit patient-data security",
             "Patient consent and privacy compliance tracking | HIPAA access and consent "
             "audit trail | Patient data privacy checks",
             "Keeps signed consents, data processing agreements and staff access reviews in "
             "one tracked register with reminders when something expires or is missing. | "
             "Tracks patient consents, vendor agreements and who can access patient data, "
             "and reminds the practice manager of reviews that are due.",
             "Consent and privacy records are scattered and audits are stressful."),
        ),
    ),
    _family(
        "logistics", "Logistics, freight and transport",
        "logistic freight transport trucking truck haulage haulier shipping shipment courier "
        "delivery deliveries fleet warehous 3pl forwarding forwarder carrier dispatch "
        "last-mile",
        "Logistics firms earn thin margins per load or delivery, so profit depends on "
        "utilisation, on-time performance and how little office time each shipment costs. "
        "Dispatchers and customer service spend much of the day on status calls, paperwork "
        "and re-keying documents between systems.",
        ("Quoting and booking loads or deliveries",
         "Dispatch and route planning",
         "Tracking, status updates and exception handling",
         "Proof of delivery and shipping documents",
         "Carrier and customer invoicing and audit",
         "Fleet maintenance and driver compliance"),
        ("Wrong ETAs sent automatically damage customer trust more than no update.",
         "Driver and location data are personal data; tell drivers what is tracked and why.",
         "Document AI makes mistakes on poor scans; keep a human check for amounts and "
         "addresses."),
        (
            ("lg_pod", "operations", "moderate", 4, 4, "Onfleet, Google Document AI, Zapier",
             "Days from delivery to invoice",
             "pod proof delivery signatures signature paperwork photos delivered",
             "Proof-of-delivery capture and matching | Automated POD processing | "
             "Digital delivery confirmations matched to invoices",
             "Drivers capture signature and photo proof of delivery in an app; each POD is "
             "matched to its shipment and attached to the invoice automatically. | Collects "
             "proof of delivery digitally at the door, reads paper PODs with document AI and "
             "links each one to the right shipment and invoice.",
             "Missing or late proof of delivery holds up invoicing."),
            ("lg_docs", "operations", "moderate", 5, 6, "Rossum, McLeod Software, Zapier",
             "Minutes of data entry per load",
             "bills lading bol rate confirmations confirmation documents paperwork "
             "data-entry customs re-keying",
             "AI extraction of freight documents | Bill of lading and rate confirmation "
             "processing | Automated load paperwork entry",
             "Reads bills of lading, rate confirmations and customs documents from email and "
             "enters the fields into the transport management system for a person to check. "
             "| Pulls shipment details out of emailed freight paperwork with document AI and "
             "creates the load in the TMS instead of retyping it.",
             "Staff re-key freight documents into the TMS for every load."),
            ("lg_tracking", "customer_service", "moderate", 5, 4, "project44, FourKites, Twilio",
             "Customer status calls per day",
             "tracking track delays delay eta late exceptions visibility updates status",
             "Proactive shipment delay alerts | Automated ETA updates to customers | "
             "Exception alerts for late loads",
             "Watches live tracking for every shipment and tells the customer automatically "
             "when the ETA slips, with a reason and a new time. | Monitors shipment "
             "visibility data, predicts late arrivals and sends proactive delay updates to "
             "customers before they call.",
             "Customers learn about delays late and call to chase."),
            ("lg_wismo", "customer_service", "simple", 4, 3, "Zendesk, project44, OpenAI API",
             "Status emails handled without staff",
             "status where emails email enquiries inbox customers chasing calls questions",
             "Where-is-my-shipment auto-replies | AI answers to shipment status emails | "
             "Track-and-trace email assistant",
             "Reads incoming status enquiries, looks up the shipment's live tracking and "
             "drafts or sends a reply with its current location and ETA. | Answers 'where "
             "is my shipment' emails automatically from tracking data and hands anything "
             "unusual to customer service.",
             "Customer service spends hours answering status emails."),
            ("lg_routes", "operations", "moderate", 5, 4, "OptimoRoute, Route4Me, Onfleet",
             "Miles per stop",
             "routes route routing drivers fuel stops planning mileage multi-drop",
             "Route optimisation for daily deliveries | AI route planning | Dynamic "
             "multi-stop route scheduling",
             "Builds each day's delivery routes automatically from orders, time windows and "
             "vehicle capacity, and re-plans when orders change. | Plans multi-stop routes "
             "with optimisation software instead of by hand, cutting miles and fitting "
             "more stops into each driver's day.",
             "Routes are planned by hand and waste miles and driver time."),
            ("lg_freight_audit", "finance", "moderate", 4, 6, "Rossum, QuickBooks Online",
             "Overcharges recovered per month",
             "carrier invoices invoice overcharges audit rates billing accessorials "
             "discrepancies",
             "Carrier invoice audit | Automated freight bill checking | Rate versus invoice "
             "discrepancy detection",
             "Reads each carrier invoice, compares it with the agreed rate and accessorials "
             "on the load and flags differences before payment. | Checks freight bills "
             "against contracted rates automatically and holds mismatched invoices for "
             "review.",
             "Carrier overcharges are paid because invoices are not checked line by line."),
            ("lg_maintenance", "operations", "advanced", 4, 10, "Samsara, Fleetio",
             "Unplanned breakdowns",
             "maintenance vehicles vehicle trucks breakdowns breakdown telematics repairs "
             "downtime",
             "Predictive fleet maintenance alerts | Vehicle maintenance scheduling from "
             "telematics | Breakdown prevention with engine data",
             "Uses engine fault codes and mileage from telematics to schedule maintenance "
             "before a vehicle breaks down and opens work orders automatically. | Turns "
             "telematics diagnostics into maintenance work orders and warns the workshop "
             "about vehicles likely to fail.",
             "Breakdowns take vehicles off the road at the worst time."),
            ("lg_driver_compliance", "compliance", "simple", 3, 3, "Samsara, Motive",
             "Compliance violations",
             "compliance drivers driver hours licences licence hos safety inspections eld",
             "Driver hours and document compliance tracking | Licence and hours-of-service "
             "monitoring | Automated driver compliance alerts",
             "Tracks driver hours, licences and medical certificates and alerts the "
             "transport manager before anything expires or an hours limit is reached. | "
             "Monitors hours of service and driver documents from the telematics system and "
             "sends reminders before a compliance breach.",
             "Expired documents and hours breaches risk fines and audits."),
            ("lg_quotes", "sales", "advanced", 5, 8, "DAT One, HubSpot, OpenAI API",
             "Quote response time",
             "quotes quote pricing rates rate spot requests shippers tenders rfq",
             "Instant freight quote responses | AI-priced spot quotes | Automated replies "
             "to shipper quote requests",
             "Reads quote requests from email, prices them from lane history and market "
             "rates, and drafts a quote for a person to approve. | Answers incoming spot "
             "quote requests within minutes with an AI-drafted price based on past loads "
             "and current market rates.",
             "Slow quotes lose loads to faster competitors."),
            ("lg_dispatch", "operations", "advanced", 4, 10, "Samsara, Rose Rocket",
             "Empty miles",
             "dispatch dispatchers loads load assignment capacity matching backhaul",
             "Load assignment suggestions for dispatchers | AI-assisted dispatch board | "
             "Smart driver-to-load matching",
             "Suggests which driver and truck should take each load from location, hours "
             "left and lane history, for the dispatcher to accept. | Ranks available "
             "drivers for every new load on the dispatch board so dispatchers assign faster "
             "and cut empty miles.",
             "Dispatchers juggle loads and drivers by phone and spreadsheet."),
            ("lg_forecast", "it_data", "advanced", 3, 10, "Power BI, Azure Machine Learning",
             "Forecast accuracy",
             "forecast forecasting volume volumes capacity planning demand peaks seasonal",
             "Shipment volume forecasting | Weekly capacity and demand forecast | Demand "
             "forecast for fleet and staff planning",
             "Forecasts next weeks' shipment volumes by lane and customer from history so "
             "capacity and staff are planned ahead. | Builds a weekly volume forecast from "
             "past shipments and seasonality to plan trucks and warehouse staff.",
             "Capacity is planned on gut feel and peaks catch the team out."),
        ),
    ),
    _family(
        "professional", "Professional services: accounting, legal and consulting",
        "accounting accountant bookkeep tax cpa audit law legal lawyer attorney solicitor "
        "paralegal consult advisory notary architect",
        "Professional firms sell expert time, so every non-billable hour spent chasing "
        "documents, formatting, filing email or re-keying data is margin lost. Work peaks "
        "around deadlines, and client experience depends on fast, accurate answers.",
        ("Client onboarding, engagement letters and identity checks",
         "Collecting documents and information from clients",
         "Bookkeeping, reconciliations and period-end work",
         "Deadlines for filings and returns",
         "Time recording, billing and collection",
         "Drafting and reviewing documents and advice"),
        ("Client data is confidential; AI tools must not train on it and access must be "
         "controlled.",
         "Professional liability: AI drafts of advice or contracts must be reviewed by a "
         "qualified person.",
         "Anti-money-laundering rules apply to onboarding; automation must keep the audit "
         "trail."),
        (
            ("ps_documents", "operations", "simple", 5, 3, "TaxDome, Karbon, Dext",
             "Days waiting for client documents",
             "documents document paperwork missing chasing year-end returns records "
             "statements clients",
             "Automated client document collection | Year-end paperwork chasing | Client "
             "portal reminders for missing documents",
             "Sends each client a checklist of the documents needed with a secure upload "
             "link and chases automatically until everything has arrived. | Requests "
             "year-end records through a client portal and sends polite automatic reminders "
             "for each missing document.",
             "Staff spend hours chasing clients for documents before deadlines."),
            ("ps_bookkeeping", "finance", "simple", 5, 3, "Xero, QuickBooks Online, Dext",
             "Hours of bookkeeping per client per month",
             "bookkeeping reconciliation reconcile bank transactions categorisation coding "
             "ledger month-end",
             "AI bank transaction categorisation | Automated bookkeeping coding | Bank feed "
             "reconciliation with AI rules",
             "Codes bank transactions automatically from learned rules and past coding, "
             "leaving only unusual items for a bookkeeper to check. | Uses AI suggestions "
             "and bank rules to reconcile client bank feeds, so month-end bookkeeping is "
             "review rather than data entry.",
             "Month-end bookkeeping is mostly manual coding of transactions.",
             ACCOUNTING),
            ("ps_engagement", "sales", "simple", 3, 2, "Ignition, Karbon",
             "Days from enquiry to signed engagement",
             "engagement letters letter onboarding new proposals proposal fees scope",
             "Engagement letters and proposals on autopilot | Automated client onboarding "
             "and engagement letters | Digital engagement letter workflow",
             "Generates the proposal and engagement letter from a short form, sends it for "
             "e-signature and sets up the client and payment details once signed. | Turns "
             "a new-client enquiry into a signed engagement letter with payment terms, "
             "without retyping scope and fees.",
             "Onboarding new clients is slow and letters are retyped each time."),
            ("ps_kyc", "compliance", "moderate", 4, 4, "Onfido, Karbon",
             "Onboarding checks completed on time",
             "kyc aml identity verification compliance due diligence money-laundering id",
             "AML and KYC checks for new clients | Automated identity verification | "
             "Client due-diligence workflow",
             "Sends new clients a secure link to verify their identity, runs the checks and "
             "files the evidence with the client record for the compliance file. | Automates "
             "identity and anti-money-laundering checks at onboarding and reminds the team "
             "when periodic reviews are due.",
             "Identity checks are manual and evidence is hard to find at inspection."),
            ("ps_time", "finance", "moderate", 5, 4, "Clio, Toggl Track",
             "Billable hours captured per week",
             "time billable hours timesheets timesheet billing leakage recording",
             "Automatic time capture for billing | AI timesheet reconstruction | Billable "
             "hours tracking from activity",
             "Builds draft time entries from emails, documents and calendar activity for "
             "each matter so fee earners only confirm them. | Reconstructs the day's "
             "billable work from activity data and suggests time entries, so fewer hours go "
             "unbilled.",
             "Billable time is recorded late from memory and hours are lost."),
            ("ps_email_filing", "operations", "simple", 4, 2, "Karbon, Microsoft 365",
             "Minutes per day filing email",
             "email emails inbox filing file clients matters correspondence shared-inbox",
             "Client email filing and triage | Automatic filing of emails to client files | "
             "AI sorting of the shared inbox by client",
             "Recognises which client or matter each email belongs to, files it to the "
             "right record and flags requests that need action. | Sorts the shared inbox "
             "by client and job automatically and turns client requests into tasks.",
             "Client email sits in personal inboxes and nobody sees the full history."),
            ("ps_contracts", "compliance", "advanced", 5, 8, "Spellbook, Claude API",
             "Hours per contract review",
             "contracts contract clauses clause review legal drafting agreements risk",
             "AI first-pass contract review | Clause extraction and risk flags | Contract "
             "summary drafts for lawyers",
             "Reads incoming contracts, extracts key clauses, compares them with the firm's "
             "standard positions and drafts a risk summary for the lawyer. | Gives lawyers "
             "an AI first pass over each contract with flagged clauses and suggested edits "
             "to review.",
             "Routine contract review takes senior time that could be billed elsewhere.",
             LEGAL),
            ("ps_deadlines", "compliance", "simple", 4, 2, "Karbon, TaxDome",
             "Deadlines met without rush",
             "deadlines deadline filing filings tax returns vat due dates penalties",
             "Tax and filing deadline tracker | Automated compliance deadline reminders | "
             "Client deadline calendar with alerts",
             "Keeps every client's filing deadlines in one calendar, opens the work early "
             "and reminds staff and clients as each date approaches. | Tracks tax and "
             "filing dates per client and triggers work and client reminders ahead of each "
             "deadline.",
             "Deadlines are tracked in spreadsheets and crunch weeks are chaotic.",
             ACCOUNTING),
            ("ps_reporting", "sales", "moderate", 4, 6, "Syft Analytics, Xero, Claude API",
             "Advisory revenue per client",
             "reports reporting management accounts advisory insights clients kpis "
             "commentary",
             "Monthly management accounts with AI commentary | Automated client reporting "
             "packs | AI-written financial summaries for clients",
             "Produces each client's monthly management pack from the ledger with an "
             "AI-drafted commentary the accountant edits before sending. | Builds client "
             "reporting packs automatically and drafts the narrative on what changed, "
             "turning compliance clients into advisory clients.",
             "Advisory work is not offered because reports take too long to prepare."),
            ("ps_intake", "sales", "moderate", 4, 4, "Clio, Lawmatics",
             "Enquiries converted to clients",
             "intake enquiries enquiry matters matter conflict prospects new-clients "
             "consultations",
             "Online client intake and conflict check | Automated matter intake | Enquiry "
             "qualification for new matters",
             "Captures new enquiries with an online intake form, runs a conflict check, "
             "qualifies the matter and books a consultation automatically. | Turns website "
             "and phone enquiries into structured intake records with conflict checks and "
             "follow-up.",
             "Enquiries wait days for a reply and some are never followed up.",
             LEGAL),
            ("ps_research", "it_data", "moderate", 3, 4, "Claude API, Microsoft 365 Copilot",
             "Hours per research memo",
             "research guidance questions precedent precedents memos knowledge technical",
             "AI research assistant for guidance and precedents | Fast answers from "
             "professional guidance | Research memo first drafts",
             "Searches the firm's precedents and trusted guidance to draft research notes "
             "with sources for a professional to verify. | Gives staff an AI assistant over "
             "the firm's own precedents and guidance that answers with citations.",
             "Staff spend hours finding the same guidance again."),
        ),
    ),
    _family(
        "retail", "Retail and e-commerce",
        "retail e-commerce ecommerce store stores shop shops shopify d2c dtc fashion apparel "
        "webshop merchandise marketplace",
        "Stores live on conversion rate, average order value and repeat purchases, and "
        "margin goes on returns, stock mistakes and support costs that grow with order "
        "volume. Small teams spend their days on order questions, product content and "
        "stock.",
        ("Product listing and catalogue content",
         "Customer support about orders, delivery and returns",
         "Inventory planning and purchasing",
         "Fulfilment and shipping",
         "Email and SMS marketing and retention",
         "Payouts, fees and bookkeeping"),
        ("Automated replies that get an order wrong cost more than a slow correct reply.",
         "Marketing automation must respect consent rules for email and SMS.",
         "Forecasts built on little history are unreliable; keep a person approving "
         "purchase orders."),
        (
            ("rt_support", "customer_service", "simple", 5, 2, "Gorgias, Shopify, Zendesk",
             "Tickets resolved without an agent",
             "support tickets ticket order status where-is-my-order wismo customers emails "
             "questions",
             "AI helpdesk for order questions | Automated answers to order-status tickets | "
             "Support replies drafted from order data",
             "Answers order-status and delivery questions automatically from the store's "
             "order data and drafts replies for the rest for an agent to send. | Uses the "
             "helpdesk's AI with live order and tracking data to resolve routine "
             "where-is-my-order tickets without an agent.",
             "Support time goes on the same order-status questions."),
            ("rt_abandoned", "marketing", "simple", 5, 2, "Klaviyo, Shopify, Postscript",
             "Recovered checkout revenue",
             "abandoned cart carts checkout conversion browse recovery",
             "Abandoned cart recovery flows | Checkout abandonment emails and SMS | Cart "
             "recovery with personalised offers",
             "Sends a timed series of emails and texts to shoppers who left items in the "
             "cart, with the products, reviews and, last, a small incentive. | Recovers "
             "abandoned checkouts with automated, personalised email and SMS reminders "
             "showing what was left in the cart.",
             "Most shoppers who add to cart leave without buying."),
            ("rt_product_copy", "marketing", "simple", 4, 2, "Shopify, Claude API",
             "Products published per week",
             "product products descriptions description listings listing catalogue copy "
             "seo content",
             "AI product descriptions at scale | Product listing copy generation | "
             "Catalogue content written with AI",
             "Drafts product titles, descriptions and SEO fields from supplier data and "
             "photos in the store's voice for a person to approve. | Generates listing copy "
             "and search-friendly descriptions for new products in bulk, ready for review "
             "in the store.",
             "Writing product listings by hand slows every launch."),
            ("rt_inventory", "operations", "moderate", 5, 6,
             "Inventory Planner, Cin7, Shopify",
             "Stockouts of best sellers",
             "stock inventory reorder reordering stockouts stockout overstock forecast "
             "purchasing suppliers",
             "Inventory forecasting and reorder alerts | Demand-based stock replenishment | "
             "Stockout prevention with sales forecasts",
             "Forecasts demand per product from sales history and seasonality and drafts "
             "purchase orders before best sellers run out. | Recommends what to reorder and "
             "when from sales velocity and supplier lead times, so stock is neither short "
             "nor piled up.",
             "Best sellers run out while slow stock ties up cash."),
            ("rt_returns", "customer_service", "simple", 4, 3, "Loop Returns, Shopify",
             "Refunds converted to exchanges",
             "returns return refunds refund exchanges exchange sizing",
             "Returns and exchanges automation | Self-service returns portal | "
             "Exchange-first returns flow",
             "Lets customers start a return online, offers an exchange or store credit "
             "first, creates the label and updates stock and refunds automatically. | "
             "Replaces return emails with a self-service portal that suggests exchanges and "
             "processes labels and refunds.",
             "Returns are handled by email and every refund is lost revenue."),
            ("rt_segments", "marketing", "moderate", 4, 4, "Klaviyo, Shopify",
             "Repeat purchase rate",
             "segments segmentation repeat personalisation personalised vip loyal "
             "lifetime retention",
             "Customer segmentation for targeted campaigns | Purchase-behaviour segments "
             "for email | Personalised campaigns by buying behaviour",
             "Groups customers by what, when and how much they buy and sends each group "
             "campaigns and product picks that fit. | Builds segments from order history, "
             "such as lapsing VIPs or first-time buyers, and runs tailored email flows for "
             "each.",
             "Everyone gets the same campaign, so repeat purchases stay low."),
            ("rt_reviews", "marketing", "simple", 3, 3, "Okendo, Yotpo, Klaviyo",
             "Reviews per order",
             "reviews review ratings ugc photos social-proof",
             "Product review collection and summaries | Automated review requests after "
             "delivery | AI review highlights on product pages",
             "Asks every customer for a product review after delivery and summarises "
             "reviews into highlights shown on the product page. | Collects product "
             "reviews automatically after delivery and uses AI to surface what shoppers "
             "like and dislike.",
             "Products lack reviews that would convince new shoppers."),
            ("rt_fraud", "compliance", "simple", 3, 2, "Shopify Flow, Signifyd",
             "Chargeback rate",
             "fraud fraudulent chargebacks chargeback risky disputes",
             "Order fraud screening | Chargeback prevention checks | Automated risky-order "
             "review",
             "Scores each order for fraud risk, holds risky ones for a quick review and "
             "releases the rest straight to fulfilment. | Screens orders automatically and "
             "routes only the suspicious ones to a person before they ship.",
             "Fraudulent orders cause chargebacks and lost goods."),
            ("rt_shipping", "operations", "simple", 4, 2, "ShipStation, Shopify",
             "Minutes per order fulfilled",
             "shipping ship fulfilment fulfillment labels label packing carriers dispatch "
             "couriers",
             "Shipping label and fulfilment automation | Automatic carrier selection and "
             "labels | Order fulfilment rules",
             "Picks the best carrier for each order by weight and destination, prints "
             "labels in batches and sends tracking to the customer automatically. | Sets "
             "fulfilment rules so labels, packing slips and tracking emails are created "
             "without manual steps.",
             "Labels and carrier choices are done order by order."),
            ("rt_pricing", "sales", "advanced", 3, 8, "Prisync, Shopify",
             "Gross margin",
             "pricing price prices competitors competitor margins margin discounts",
             "Competitor price monitoring | Dynamic pricing suggestions | Margin-aware "
             "price alerts",
             "Tracks competitors' prices for key products daily and suggests price changes "
             "within margin rules for approval. | Monitors competitor pricing and alerts "
             "when the store is out of line, proposing new prices that protect margin.",
             "Prices are set once and drift away from the market."),
            ("rt_payouts", "finance", "moderate", 4, 4, "A2X, Xero, QuickBooks Online",
             "Hours reconciling per month",
             "payouts payout reconciliation fees accounting bookkeeping marketplace sales "
             "tax",
             "Marketplace and payout reconciliation | Store payouts matched to the books | "
             "Sales channel reconciliation",
             "Summarises each store and marketplace payout into sales, fees, refunds and "
             "taxes and posts it to the accounts ready to reconcile. | Turns payout reports "
             "into clean accounting entries so the books match the bank without manual "
             "work.",
             "Payouts are hard to reconcile and month-end takes days."),
        ),
    ),
    _family(
        "hospitality", "Hospitality: restaurants, cafés and hotels",
        "restaurant restaurants cafe café bar bars hotel hotels hospitality catering bakery "
        "bistro pub guesthouse hostel vacation kitchen guests rooms",
        "Hospitality runs on thin margins where food and labour costs, occupancy or covers, "
        "and reviews decide the year. Managers spend hours on rotas, stock and supplier "
        "orders, and staff answer the same booking questions all day.",
        ("Reservations and enquiries by phone, email and social media",
         "Staff rotas and labour planning",
         "Stock, ordering and food cost",
         "Guest communication before and during the visit or stay",
         "Reviews and reputation",
         "Food safety and licensing records"),
        ("Guests notice robotic replies; keep automated messages warm and easy to escalate.",
         "Forecasts for rotas and stock need a manager's judgement on events and weather.",
         "Food safety records are legal documents; digital logs must be complete."),
        (
            ("hp_reservations", "customer_service", "moderate", 4, 4,
             "SevenRooms, OpenTable, Twilio",
             "Booking enquiries answered within 5 minutes",
             "reservations reservation bookings booking tables table enquiries calls phone "
             "messages",
             "AI reservation assistant for calls and messages | Automated table booking "
             "replies | Booking enquiries answered around the clock",
             "Answers booking requests from phone, website and social messages, checks "
             "availability and confirms the reservation, passing special requests to a "
             "manager. | Handles reservation enquiries automatically at any hour, books "
             "tables in the reservation system and escalates large or unusual bookings.",
             "Booking calls interrupt service and messages go unanswered.",
             FOOD),
            ("hp_rota", "hr", "moderate", 5, 4, "7shifts, Toast",
             "Labour cost as % of sales",
             "rota rotas shifts shift staff staffing labour scheduling wages overtime",
             "Demand-based staff rota | Shift scheduling from sales forecasts | Labour "
             "planning with AI forecasts",
             "Forecasts covers from POS history and bookings and drafts the weekly rota to "
             "match, within labour budget and availability. | Builds staff schedules from "
             "predicted demand so busy shifts are covered and quiet ones are not "
             "overstaffed.",
             "Rotas take hours and labour cost does not follow demand."),
            ("hp_stock", "operations", "moderate", 5, 6, "MarketMan, Toast",
             "Food cost %",
             "stock inventory food cost waste ordering suppliers ingredients counts",
             "Food cost and inventory tracking | Automated stock counts and supplier "
             "orders | Ingredient reordering from sales data",
             "Tracks ingredient use from POS sales and recipes, flags waste and drafts "
             "supplier orders from par levels. | Links sales to recipes to predict "
             "ingredient needs, suggest supplier orders and show where food cost leaks.",
             "Stock is counted and ordered by hand and food cost creeps up."),
            ("hp_menu", "finance", "moderate", 4, 4, "Toast, Google Sheets, Claude API",
             "Gross profit per cover",
             "menu dishes dish margins margin prices profitability recipes",
             "Menu profitability analysis | Menu engineering from POS data | Dish margin "
             "and popularity report",
             "Combines dish sales and recipe costs to show which dishes earn and which "
             "drain margin, with AI suggestions for pricing and menu changes. | Produces a "
             "monthly menu engineering report that ranks dishes by popularity and margin.",
             "Menu prices do not keep up with ingredient costs.",
             FOOD),
            ("hp_guest_messages", "customer_service", "simple", 4, 2,
             "Mews, Hostaway, Claude API",
             "Guest messages answered automatically",
             "guests guest check-in arrival questions messages stay",
             "Pre-arrival and in-stay guest messaging | Automated guest communication | "
             "Guest questions answered by AI",
             "Sends guests arrival details and answers common questions about parking, "
             "check-in and facilities, handing anything unusual to staff. | Automates "
             "guest messages before and during the stay with AI answers drawn from the "
             "property's information.",
             "Staff answer the same guest questions all day.",
             HOTELS),
            ("hp_upsell", "sales", "simple", 4, 3, "Oaky, Mews",
             "Upsell revenue per booking",
             "upsell upsells upgrades revenue add-ons extras packages",
             "Pre-arrival upsell offers | Automated room and experience upsells | Pre-stay "
             "add-on offers",
             "Emails guests before arrival with relevant upgrades and extras such as late "
             "checkout or dinner, priced and booked automatically. | Offers personalised "
             "add-ons before the stay and adds accepted extras to the booking.",
             "Extras are only offered at the desk, if at all.",
             HOTELS),
            ("hp_delivery", "operations", "simple", 3, 2, "Deliverect, Toast",
             "Delivery order errors",
             "delivery orders order uber deliveroo doordash tablets takeaway",
             "Delivery platform order consolidation | One screen for all delivery orders | "
             "Delivery menu sync across apps",
             "Sends orders from every delivery platform straight into the POS and kitchen "
             "and keeps menus and availability in sync across apps. | Replaces the stack "
             "of delivery tablets with one integration that injects orders into the POS.",
             "Staff re-key delivery orders from several tablets.",
             FOOD),
            ("hp_supplier_bills", "finance", "simple", 4, 3, "Dext, MarketMan, Xero",
             "Supplier price increases caught",
             "invoices invoice supplier suppliers bills prices costs",
             "Supplier invoice capture for the kitchen | Automatic supplier bill "
             "processing | Invoice price tracking for ingredients",
             "Captures supplier invoices from photos or email, posts them to the books and "
             "flags price rises against last order. | Reads every supplier bill "
             "automatically and tracks ingredient prices so increases are spotted.",
             "Supplier invoices pile up and price rises go unnoticed."),
            ("hp_loyalty", "marketing", "simple", 4, 3, "SevenRooms, Mailchimp",
             "Return visit rate",
             "loyalty regulars repeat return birthday guests newsletter",
             "Guest loyalty and return-visit campaigns | Birthday and anniversary offers | "
             "Automated regulars programme",
             "Uses guest history to send timely birthday, anniversary and we-miss-you "
             "offers that bring guests back. | Runs automated return-visit campaigns from "
             "the guest database, with offers for regulars and lapsed guests.",
             "Guests visit once and are never invited back."),
            ("hp_pricing", "sales", "advanced", 5, 8, "PriceLabs, Cloudbeds",
             "Revenue per available room",
             "rates rate pricing occupancy revenue rooms room nightly",
             "Dynamic room pricing | Revenue management with AI pricing | Rate "
             "recommendations from demand",
             "Adjusts nightly rates automatically from demand, events and competitors, "
             "within the owner's minimum and maximum. | Uses a revenue management tool to "
             "price rooms daily from booking pace and local demand.",
             "Rates are changed by hand and miss busy dates.",
             HOTELS),
            ("hp_food_safety", "compliance", "simple", 3, 2, "SafetyCulture",
             "Food safety checks completed",
             "food safety haccp temperature temperatures hygiene inspections checklists "
             "allergens",
             "Digital food safety checklists | Temperature logs and alerts | Automated "
             "food safety records",
             "Moves opening, closing and temperature checks to a phone checklist with "
             "reminders and alerts when a reading or check is missed. | Keeps HACCP and "
             "allergen records digitally with prompts for each check and a ready audit "
             "trail.",
             "Paper food safety logs are incomplete when the inspector calls.",
             FOOD),
        ),
    ),
    _family(
        "construction", "Construction and trades",
        "construction builder builders contractor contractors plumb electric hvac roofing "
        "roofer landscap renovation remodel trades tradesman carpentry joinery painting "
        "decorating",
        "Contractors and trades win work by quoting fast and keep margin by scheduling "
        "crews well and billing promptly. Owners lose evenings to quotes, paperwork and "
        "chasing payment, and site information rarely reaches the office on time.",
        ("Enquiries, site visits and quoting",
         "Scheduling crews or technicians",
         "Site documentation, photos and daily reports",
         "Variations, change orders and approvals",
         "Invoicing, progress billing and collection",
         "Health and safety and subcontractor compliance"),
        ("Estimates drafted by AI must be checked by someone who knows the job.",
         "Site safety records are legal evidence; keep them complete and unaltered.",
         "Crews need simple tools that work on a phone with poor signal."),
        (
            ("ct_estimates", "sales", "moderate", 5, 4, "Jobber, ServiceTitan, Claude API",
             "Quote turnaround time",
             "quotes quote quoting estimates estimate pricing site visits bids tender",
             "AI-assisted estimates and quotes | Faster job quotes from photos and notes | "
             "Quote drafting from site visits",
             "Turns site visit notes, measurements and photos into a priced quote from the "
             "firm's price list for the owner to check and send. | Drafts estimates from "
             "the surveyor's notes and photos using standard rates, so quotes go out the "
             "same day.",
             "Quotes take days because they are written at night."),
            ("ct_scheduling", "operations", "moderate", 5, 4,
             "ServiceTitan, Housecall Pro, Jobber",
             "Jobs completed per crew per week",
             "scheduling schedule dispatch jobs job crews crew technicians vans calendar",
             "Job scheduling and dispatch optimisation | Technician dispatch board | "
             "Automated crew scheduling",
             "Schedules jobs to crews by skills, location and job length and updates "
             "customers automatically when the technician is on the way. | Plans the "
             "week's jobs across crews and vans with a dispatch board that re-plans when "
             "jobs overrun.",
             "Scheduling by phone and whiteboard wastes crew time."),
            ("ct_site_reports", "operations", "simple", 4, 2, "CompanyCam, Procore",
             "Site reports filed on time",
             "site reports report photos daily logs diary progress",
             "Daily site reports from photos and voice notes | AI-written daily logs | "
             "Site diary automation",
             "Crews record photos and a short voice note on site; AI turns them into the "
             "daily report and shares it with the office and client. | Builds the daily site "
             "log and progress report from crew photos and voice notes automatically and "
             "shares it with the office.",
             "Site information reaches the office late or not at all."),
            ("ct_changes", "finance", "moderate", 4, 4, "Buildertrend, DocuSign",
             "Unbilled variations",
             "change orders variations variation extras approvals scope",
             "Change order tracking and sign-off | Variation approvals with e-signature | "
             "Automated change order paperwork",
             "Logs every variation from site, prices it and sends it to the client for "
             "e-signature before the work is done, then adds it to the invoice. | Makes "
             "change orders a quick digital approval so extra work is always agreed and "
             "billed.",
             "Extra work is done on a handshake and never billed."),
            ("ct_safety", "compliance", "simple", 3, 2, "SafetyCulture",
             "Safety inspections completed",
             "safety inspections inspection compliance osha hse toolbox risk assessments",
             "Site safety inspections and toolbox talks | Digital safety checklists with "
             "alerts | Site safety compliance tracking",
             "Puts site inspections, risk assessments and toolbox talks on phones with "
             "reminders and alerts for failed items. | Digitises safety checks and keeps a "
             "complete, timestamped record for every site.",
             "Safety paperwork is incomplete and hard to produce when asked."),
            ("ct_materials", "operations", "advanced", 4, 8, "Procore, Buildertrend",
             "Delays waiting for materials",
             "materials material suppliers purchase orders takeoff ordering deliveries",
             "Materials takeoff and purchase orders | Automated material ordering from job "
             "plans | Supplier purchase order workflow",
             "Builds material lists from the job's plans and schedule and raises purchase "
             "orders to suppliers in time for each stage. | Turns the job schedule into "
             "timed material orders so crews are not waiting on deliveries.",
             "Crews wait on materials that were ordered late."),
            ("ct_progress_billing", "finance", "simple", 5, 2,
             "Jobber, QuickBooks Online, Stripe",
             "Days from job completion to payment",
             "invoicing invoice payments payment progress billing stage deposits",
             "Progress billing and stage payments | Invoice and payment link on job "
             "completion | Automated progress claims",
             "Raises the deposit, stage and final invoices automatically as jobs reach "
             "milestones, with a card payment link. | Sends invoices with a payment link "
             "the moment a stage or job is marked complete.",
             "Invoices go out late and cash is stuck in finished work."),
            ("ct_service_plans", "sales", "simple", 4, 3, "ServiceTitan, Housecall Pro",
             "Service agreement renewals",
             "service agreements maintenance plans annual renewals servicing",
             "Service agreement renewals and reminders | Maintenance plan reminders to "
             "customers | Automated annual service bookings",
             "Reminds customers when their annual service or maintenance visit is due and "
             "lets them book online, renewing service plans automatically. | Runs annual "
             "servicing reminders and plan renewals from the customer list.",
             "Repeat servicing work is forgotten by customers and staff."),
            ("ct_subcontractors", "compliance", "simple", 3, 3, "Procore, Airtable",
             "Subcontractors with valid documents",
             "subcontractors subcontractor insurance certificates compliance documents "
             "licences",
             "Subcontractor compliance document tracking | Insurance certificate expiry "
             "alerts | Subcontractor onboarding paperwork",
             "Collects subcontractors' insurance, licences and certificates and alerts "
             "before any expire or are missing before a job starts. | Tracks each "
             "subcontractor's insurance certificates, licences and documents with automatic "
             "expiry reminders before they come on site.",
             "Subcontractors work on site with expired insurance."),
            ("ct_leads", "sales", "simple", 5, 2, "Housecall Pro, Podium, Twilio",
             "Enquiry response time",
             "enquiries enquiry leads lead calls response jobs requests",
             "Instant response to new job enquiries | Speed-to-lead for service requests | "
             "AI-qualified job requests",
             "Replies to every new enquiry within minutes by text, asks the questions "
             "needed to qualify the job and offers a site visit slot. | Answers job "
             "requests instantly and collects the job details before a person calls back.",
             "Enquiries wait while the owner is on site and go to competitors."),
        ),
    ),
    _family(
        "real_estate", "Real estate and property management",
        "real estate realtor realty property properties estate agent agency brokerage "
        "broker letting lettings rental rentals landlord landlords tenant tenants mortgage",
        "Agents win on speed to lead and relationships; property managers on tenant "
        "service and low arrears. Much of the week goes to answering enquiries, arranging "
        "viewings, maintenance requests and transaction paperwork.",
        ("Lead capture and follow-up from portals and the website",
         "Listings, photos and property descriptions",
         "Viewings and showings",
         "Tenant applications, leases and renewals",
         "Maintenance requests and contractors",
         "Rent collection and owner reporting"),
        ("Fair housing and anti-discrimination rules apply to screening and advertising.",
         "Tenant and buyer data is personal data; keep consent and retention in order.",
         "AI-written listings must not overstate a property's features."),
        (
            ("re_leads", "sales", "simple", 5, 2, "Follow Up Boss, Zillow Premier Agent, Twilio",
             "Lead response time",
             "leads lead enquiries enquiry portal buyers tenants response speed",
             "Instant response to property enquiries | Portal lead follow-up within minutes "
             "| AI speed-to-lead for buyers and tenants",
             "Replies to every portal and website enquiry within minutes, asks qualifying "
             "questions and books a call or viewing with the right agent. | Answers new "
             "property leads instantly by text and email and routes qualified ones to an "
             "agent.",
             "Leads go cold because replies take hours.",
             ESTATE_AGENTS, LETTINGS),
            ("re_listings", "marketing", "simple", 4, 1, "Canva, Claude API",
             "Time to publish a listing",
             "listings listing descriptions description property ads copy photos",
             "AI listing descriptions | Property ad copy from photos and details | Listing "
             "content generation",
             "Drafts the listing description, social posts and brochure text from the "
             "property details and photos for the agent to approve. | Generates accurate "
             "property ad copy for portals and social media from the listing data.",
             "Writing listings takes agent time away from clients."),
            ("re_viewings", "operations", "simple", 4, 2, "ShowingTime, Calendly",
             "Viewings booked per listing",
             "viewings viewing showings showing appointments scheduling",
             "Viewing scheduling and reminders | Self-booking property viewings | "
             "Automated showing coordination",
             "Lets applicants book viewings online into agents' calendars, confirms with "
             "tenants or sellers and sends reminders. | Coordinates showings automatically "
             "so nobody plays phone tag to arrange a viewing.",
             "Arranging viewings takes endless calls."),
            ("re_screening", "compliance", "moderate", 4, 4, "RentRedi, AppFolio",
             "Days to approve an applicant",
             "applications application screening references checks tenants applicants",
             "Tenant application screening | Automated rental application checks | "
             "Applicant referencing workflow",
             "Collects rental applications online, runs credit and reference checks and "
             "summarises each applicant against consistent criteria. | Automates "
             "referencing and screening so every applicant is checked the same way.",
             "Referencing is slow and inconsistent."),
            ("re_maintenance", "operations", "moderate", 5, 4, "AppFolio, Buildium",
             "Repair time to resolution",
             "maintenance repairs repair requests tenants contractors work orders",
             "Maintenance request triage for tenants | AI triage of repair requests | Work "
             "order routing to contractors",
             "Takes repair requests with photos through a tenant portal, sorts them by "
             "urgency and sends work orders to the right contractor. | Uses AI to classify "
             "tenant maintenance requests and dispatch contractors with the details.",
             "Maintenance requests arrive by phone and get lost."),
            ("re_rent", "finance", "simple", 4, 2, "Buildium, AppFolio",
             "Rent arrears",
             "rent arrears late payments payment collection overdue",
             "Rent arrears reminders | Automated rent collection follow-up | Late rent "
             "chasing workflow",
             "Collects rent online and sends polite, escalating reminders when a payment is "
             "late, alerting the manager at set points. | Automates rent collection "
             "reminders and arrears follow-up, escalating late payments to the property "
             "manager.",
             "Late rent is chased by hand, if at all."),
            ("re_transactions", "operations", "moderate", 4, 4, "SkySlope, Dotloop",
             "Deals closing on time",
             "transactions transaction closing deadlines conveyancing documents milestones "
             "sales",
             "Transaction checklist and deadline tracking | Closing coordination "
             "automation | Sale milestone updates for clients",
             "Tracks each sale's documents and deadlines, reminds all parties of what is "
             "due and updates the client at every milestone. | Keeps transaction files "
             "complete with automatic reminders and client progress updates.",
             "Deals slip because a document or deadline was missed.",
             ESTATE_AGENTS),
            ("re_market_reports", "marketing", "moderate", 3, 4, "Mailchimp, Claude API",
             "Repeat and referral business",
             "market reports valuations past clients farming updates homeowners",
             "Automated market reports for past clients | Home value update emails | "
             "Neighbourhood market digests",
             "Sends past clients and homeowners a monthly update on local sales and their "
             "home's estimated value, written with AI. | Keeps the agent in touch with past "
             "clients through automated local market digests.",
             "Past clients forget the agent when they are ready to move.",
             ESTATE_AGENTS),
            ("re_nurture", "marketing", "simple", 4, 4, "Follow Up Boss, Mailchimp",
             "Old leads re-engaged",
             "nurture cold drip database old follow-up long-term",
             "Long-term buyer and seller nurture | Drip campaigns for cold leads | "
             "Re-engagement of old enquiries",
             "Puts leads that are not ready into a long-term email and text sequence that "
             "checks in and sends new matching properties. | Re-engages the old lead "
             "database with automated, personalised follow-ups.",
             "Most leads are not ready yet and are never contacted again.",
             ESTATE_AGENTS, LETTINGS),
            ("re_leases", "compliance", "simple", 3, 2, "DocuSign, Buildium",
             "Lease renewals on time",
             "leases lease tenancy agreements agreement renewals signing",
             "Lease drafting and e-signing | Tenancy agreement generation | Automated "
             "lease renewals",
             "Generates leases from templates with the tenancy details, sends them for "
             "e-signature and starts renewal conversations ahead of expiry. | Produces and "
             "signs tenancy agreements digitally and tracks renewal dates.",
             "Leases are assembled by hand and renewals are missed."),
            ("re_owner_reports", "finance", "moderate", 3, 4, "AppFolio, Claude API",
             "Owner queries per month",
             "owners owner landlords landlord statements reports reporting",
             "Monthly owner statements with commentary | Landlord reporting packs | AI "
             "summaries for property owners",
             "Sends each owner a monthly statement with an AI-written summary of rent, "
             "repairs and vacancies. | Produces landlord reporting packs automatically with "
             "a plain-language commentary.",
             "Owners call for updates the statements do not explain."),
        ),
    ),
    _family(
        "manufacturing", "Manufacturing and industrial production",
        "manufactur factory factories production machining machine fabricat plant cnc "
        "assembly industrial engineering metal plastics packaging foundry",
        "Manufacturers earn on throughput, yield and on-time delivery. Office time goes to "
        "quoting, order entry and chasing materials; shop-floor time is lost to unplanned "
        "downtime, scheduling changes and rework.",
        ("Quoting and order entry",
         "Production planning and scheduling",
         "Purchasing and material planning",
         "Maintenance of machines",
         "Quality inspection and rework",
         "Shipping and customer updates"),
        ("Machine and quality data is often incomplete; start with a pilot line.",
         "Changes to production processes need operator buy-in and safety review.",
         "Customer drawings and specifications are confidential; control where they go."),
        (
            ("mf_quotes", "sales", "advanced", 5, 8, "Paperless Parts, Claude API",
             "Quote turnaround time",
             "quotes quote quoting rfq rfqs drawings pricing custom parts estimates",
             "RFQ response and quote automation | AI-assisted quoting from drawings | "
             "Faster quotes for custom parts",
             "Reads RFQs and drawings, estimates machine time and materials from similar "
             "past jobs and drafts a quote for the estimator to check. | Speeds up quoting "
             "of custom parts with AI estimates from CAD files and job history.",
             "Quotes take days and the first to reply often wins."),
            ("mf_maintenance", "operations", "advanced", 5, 12, "MachineMetrics, UpKeep",
             "Unplanned downtime hours",
             "downtime machines machine maintenance breakdowns breakdown sensors repairs",
             "Predictive maintenance from machine data | Machine downtime alerts | "
             "Condition-based maintenance scheduling",
             "Collects machine data, spots patterns that come before failures and opens "
             "maintenance work orders before a breakdown stops the line. | Uses machine "
             "monitoring to schedule maintenance on condition rather than on failure.",
             "Unplanned breakdowns stop production and miss deliveries."),
            ("mf_quality", "operations", "advanced", 4, 12, "Landing AI, Cognex",
             "Defect escape rate",
             "quality defects defect inspection scrap rework rejects",
             "Visual quality inspection with AI | Camera-based defect detection | "
             "Automated inspection of finished parts",
             "Cameras on the line photograph each part and a trained model flags defects "
             "for an inspector before parts ship. | Adds AI vision inspection at a key step "
             "to catch defects consistently and record scrap causes.",
             "Manual inspection misses defects and rework is costly."),
            ("mf_scheduling", "operations", "moderate", 5, 6, "Katana, MRPeasy",
             "On-time delivery rate",
             "scheduling schedule production planning capacity jobs shop floor priorities",
             "Production scheduling optimisation | Capacity-aware job scheduling | "
             "Shop-floor schedule planning",
             "Builds the production schedule from orders, routings and machine capacity "
             "and re-plans when a rush job or breakdown hits. | Replaces the scheduling "
             "spreadsheet with a capacity-aware plan that shows the effect of every change.",
             "The schedule lives in a spreadsheet and changes hourly."),
            ("mf_materials", "operations", "moderate", 4, 6, "Katana, Fishbowl",
             "Production delays from shortages",
             "materials material inventory shortages purchasing stock raw components",
             "Raw material reorder planning | Purchasing alerts from the production plan | "
             "Material shortage early warnings",
             "Compares the production plan with stock and lead times and proposes purchase "
             "orders before materials run short. | Warns buyers early about shortages for "
             "planned jobs and drafts the purchase orders.",
             "Jobs stall for missing materials."),
            ("mf_order_entry", "operations", "moderate", 5, 4, "Conexiom, NetSuite",
             "Order entry minutes per PO",
             "orders order purchase emails pdf data-entry erp entry typing",
             "Sales order entry from emails and PDFs | Automated purchase order intake | AI "
             "capture of customer POs into the ERP",
             "Reads customer purchase orders from email and PDF and creates sales orders "
             "in the ERP, flagging price or item mismatches. | Automates order intake so "
             "customer POs become ERP orders without retyping.",
             "Customer orders are retyped into the ERP with errors."),
            ("mf_ap_matching", "finance", "moderate", 4, 6, "Stampli, NetSuite",
             "Invoices matched without manual work",
             "supplier invoices invoice matching payables purchase receipts",
             "Supplier invoice three-way matching | PO, receipt and invoice matching | "
             "Automated accounts payable matching",
             "Matches each supplier invoice to its purchase order and goods receipt and "
             "routes only exceptions for approval. | Automates three-way matching of "
             "supplier invoices so finance handles exceptions only.",
             "Finance matches supplier invoices by hand."),
            ("mf_safety", "compliance", "simple", 3, 3, "SafetyCulture",
             "Near-misses reported",
             "safety incidents incident near-miss audits audit iso hazards",
             "Safety incident and near-miss reporting | Digital safety audits | Shop-floor "
             "hazard reporting app",
             "Lets anyone report incidents and near-misses from a phone with photos and "
             "runs scheduled safety audits with follow-up actions. | Digitises safety "
             "reporting and audits so trends and open actions are visible.",
             "Near-misses go unreported and audits are on paper."),
            ("mf_instructions", "hr", "moderate", 3, 4, "Tulip, Scribe",
             "Time for a new operator to work unaided",
             "instructions sop sops training operators procedures onboarding",
             "Digital work instructions for operators | AI-written standard operating "
             "procedures | Work instruction generation",
             "Turns expert knowledge, photos and videos into step-by-step digital "
             "instructions at each workstation. | Drafts SOPs with AI from recorded "
             "processes and keeps them where operators work.",
             "Know-how lives in a few experienced heads."),
            ("mf_oee", "it_data", "moderate", 4, 6, "MachineMetrics, Power BI",
             "Overall equipment effectiveness",
             "oee production reports reporting kpi kpis shifts output performance",
             "OEE dashboard with AI insights | Production KPI reporting | Automated shift "
             "performance reports",
             "Collects output, downtime and scrap per machine and shift into a dashboard "
             "with an AI summary of what changed. | Replaces manual production reports with "
             "automatic shift and OEE reporting.",
             "Nobody sees production performance until month-end."),
            ("mf_order_updates", "customer_service", "moderate", 4, 4, "NetSuite, HubSpot",
             "Customer order status calls",
             "status lead times customers updates delivery dates progress",
             "Order status updates for customers | Automated lead-time notifications | "
             "Customer portal for order progress",
             "Keeps customers informed with automatic updates when their order is "
             "scheduled, produced and shipped. | Gives customers self-service order status "
             "and delay notices from ERP data.",
             "Customers call for order status and expected dates."),
        ),
    ),
    _family(
        "software", "Software and SaaS",
        "saas software startup subscription subscriptions developer developers tech "
        "technology msp",
        "Software companies grow through activation, retention and expansion; costs grow "
        "with support volume and engineering time. Small teams juggle support, onboarding, "
        "bugs and security reviews from larger customers.",
        ("Trial, onboarding and activation",
         "Customer support and documentation",
         "Bug triage and release communication",
         "Billing, failed payments and renewals",
         "Security reviews and compliance",
         "Product feedback and roadmap"),
        ("AI support answers must be grounded in current documentation or they mislead.",
         "Customer data in AI tools needs a data processing agreement and access control.",
         "Automated emails must respect product usage consent and unsubscribe rules."),
        (
            ("sw_support", "customer_service", "moderate", 5, 4, "Intercom, Zendesk",
             "Ticket deflection rate",
             "support tickets ticket questions help docs documentation customers",
             "AI support agent for product questions | Help-centre answer bot | Ticket "
             "deflection with AI",
             "Answers product questions in chat from the help centre and docs, hands "
             "unresolved conversations to the team with a summary. | Deflects common "
             "support tickets with an AI agent grounded in documentation.",
             "Support volume grows faster than the team."),
            ("sw_churn", "sales", "moderate", 5, 6, "ChurnZero, Mixpanel, HubSpot",
             "Net revenue retention",
             "churn retention usage health accounts renewals cancellations",
             "Churn risk alerts from product usage | Customer health scoring | At-risk "
             "account early warning",
             "Scores every account's health from usage, support and billing data and "
             "alerts the owner when an account looks at risk. | Spots falling usage early "
             "and starts a save playbook before customers cancel.",
             "Churn is noticed only when the cancellation arrives."),
            ("sw_onboarding", "marketing", "moderate", 4, 4, "Customer.io, Pendo, Segment",
             "Trial activation rate",
             "onboarding activation trial trials users signup signups",
             "Product onboarding nudges | Activation emails triggered by usage | In-app "
             "onboarding guidance",
             "Sends new users emails and in-app tips based on what they have and have not "
             "done yet, nudging them to the first moment of value. | Triggers onboarding "
             "emails and in-app messages from product events so more trial users reach "
             "activation.",
             "Many sign-ups never reach the point where the product helps them."),
            ("sw_pql", "sales", "moderate", 4, 4, "Segment, HubSpot",
             "Trial-to-paid conversion",
             "trial conversion pql freemium upgrade paid signups",
             "Product-qualified lead alerts | Trial-to-paid lead scoring | PQL routing to "
             "sales",
             "Flags trial or free accounts whose usage looks like buying intent and routes "
             "them to sales with context. | Scores trial and free accounts on product usage "
             "to find the ones ready to upgrade to paid and sends them to sales.",
             "Sales time goes on the wrong trials."),
            ("sw_bugs", "it_data", "simple", 4, 2, "Linear, Sentry, Claude API",
             "Time to triage a bug",
             "bugs bug issues engineering triage errors escalation",
             "Bug report triage and deduplication | AI labelling of issues | "
             "Support-to-engineering escalation",
             "Groups incoming bug reports and errors, labels severity and area and links "
             "duplicates before engineers look. | Turns support escalations and error "
             "reports into clean, de-duplicated and labelled engineering issues.",
             "Engineers lose time sorting duplicate and vague bug reports."),
            ("sw_release_notes", "marketing", "simple", 3, 1, "GitHub, Claude API",
             "Feature adoption",
             "release notes changelog updates features announcements",
             "Release notes and changelog drafting | AI-written product updates | "
             "Changelog from merged pull requests",
             "Drafts customer-facing release notes from merged pull requests and tickets "
             "each release. | Writes the changelog and update emails with AI from the "
             "engineering record.",
             "Customers do not hear about new features."),
            ("sw_dunning", "finance", "simple", 5, 2, "Stripe Billing, Chargebee",
             "Recovered failed payments",
             "failed payments payment dunning subscriptions billing mrr cards",
             "Failed payment recovery | Dunning automation | Subscription payment retries "
             "and reminders",
             "Retries failed card payments at smart times and sends friendly reminders with "
             "a card update link. | Automates dunning: smart retries of failed subscription "
             "payments plus reminder emails with a card update link.",
             "Failed payments quietly cancel paying customers."),
            ("sw_security_reviews", "compliance", "moderate", 4, 4, "Vanta, Drata",
             "Days to answer a security questionnaire",
             "security questionnaires questionnaire soc compliance audits enterprise iso",
             "Security questionnaire answering with AI | Automated vendor security "
             "reviews | Compliance evidence collection",
             "Drafts answers to customer security questionnaires from approved policies "
             "and collects audit evidence automatically. | Speeds up enterprise security "
             "reviews with a trust centre and AI questionnaire drafts.",
             "Security reviews slow down larger deals."),
            ("sw_code_review", "it_data", "simple", 4, 2, "GitHub Copilot, GitHub",
             "Pull request cycle time",
             "code developers engineering pull requests review coding",
             "AI code review assistant | Automated pull request review | Coding assistant "
             "rollout",
             "Adds AI review to every pull request and gives developers an AI coding "
             "assistant with agreed usage rules. | Uses AI to review pull requests and "
             "suggest fixes before a human review.",
             "Reviews queue up and slow releases."),
            ("sw_incidents", "it_data", "moderate", 3, 4, "PagerDuty, Statuspage, Claude API",
             "Time to first customer update in an incident",
             "incidents incident outages outage downtime status postmortem",
             "Incident summaries and status page updates | AI incident timeline and "
             "postmortem drafts | Automated outage communication",
             "During an incident drafts status page updates from the alert channel and "
             "afterwards the timeline and postmortem. | Keeps customers informed during "
             "outages with AI-drafted status page updates and drafts the incident postmortem "
             "afterwards.",
             "Customers learn about outages from social media."),
            ("sw_feedback", "operations", "moderate", 4, 4, "Productboard, Intercom",
             "Requests linked to roadmap items",
             "feature requests feedback roadmap product ideas",
             "Feature request clustering from feedback | Product feedback insights | "
             "Roadmap input from support conversations",
             "Collects feature requests from support, sales and calls, groups them with AI "
             "and counts demand by revenue. | Turns scattered feature requests and product "
             "feedback into ranked insights that feed the roadmap.",
             "Feedback is scattered and the roadmap follows the loudest voice."),
        ),
    ),
    _family(
        "education", "Education and training",
        "school schools education tutoring tutor tutors academy university college "
        "training course courses e-learning learning kindergarten preschool nursery "
        "childcare students",
        "Schools and training providers depend on enrolments, retention and reputation. "
        "Teachers lose hours to marking and admin; office staff to admissions enquiries, "
        "parent communication, fees and timetables.",
        ("Admissions and enrolment enquiries",
         "Marking, feedback and reports",
         "Parent and learner communication",
         "Attendance and learner support",
         "Timetabling and bookings",
         "Fees and payments"),
        ("Learner data, especially of children, needs strict consent and safeguarding.",
         "AI marking must be checked by teachers; learners and parents must be told.",
         "Academic integrity policies must cover AI use by learners and staff."),
        (
            ("ed_admissions", "sales", "simple", 5, 2, "HubSpot, Calendly",
             "Enquiry-to-enrolment rate",
             "admissions enquiries enquiry enrolment enrolments applicants prospective "
             "parents",
             "Admissions enquiry follow-up | Automated applicant nurture | Enrolment "
             "enquiry responses",
             "Replies to every admissions enquiry at once, sends the right information and "
             "follows up until a visit or trial is booked. | Nurtures prospective students "
             "and parents with automated, personal follow-ups.",
             "Enquiries go cold while the office is busy."),
            ("ed_marking", "operations", "moderate", 5, 4, "Gradescope, Canvas LMS",
             "Teacher hours on marking",
             "marking grading feedback assignments essays teachers homework",
             "AI-assisted marking and feedback | Feedback drafts for assignments | "
             "Rubric-based grading support",
             "Groups similar answers and drafts rubric-based feedback for teachers to check "
             "and adjust. | Gives teachers AI-drafted marks and rubric feedback on "
             "assignments to review and adjust before returning them.",
             "Marking takes teachers' evenings and weekends."),
            ("ed_parents", "customer_service", "simple", 4, 2, "ClassDojo, Brightwheel",
             "Parent messages answered the same day",
             "parents parent communication updates newsletters messages families",
             "Parent communication automation | Weekly parent updates | Translated parent "
             "messages",
             "Sends parents regular updates and reminders automatically, translated where "
             "needed, and answers routine questions. | Automates the parent newsletter, "
             "reminders and answers to common parent questions, with translated messages.",
             "Staff answer the same parent questions repeatedly."),
            ("ed_attendance", "compliance", "simple", 4, 2, "PowerSchool, Twilio",
             "Unexplained absences",
             "attendance absence absences at-risk dropout students learners",
             "Attendance follow-up alerts | Automated absence notifications | Early "
             "warning for at-risk learners",
             "Texts parents or learners when an absence is unexplained and flags patterns "
             "that suggest a learner is at risk. | Automates absence follow-up with parents "
             "and raises early-warning alerts for learners whose attendance is slipping.",
             "Absences are followed up late and at-risk learners are missed."),
            ("ed_materials", "operations", "simple", 4, 1, "Google Classroom, Claude API",
             "Preparation hours per week",
             "lesson lessons materials planning content worksheets curriculum",
             "Lesson and course material drafting | AI lesson plan generator | Course "
             "content creation with AI",
             "Drafts lesson plans, worksheets and quizzes from the curriculum for teachers "
             "to adapt. | Speeds up preparation of lesson plans, worksheets and course "
             "materials with AI first drafts teachers adapt.",
             "Preparing materials takes hours each week."),
            ("ed_timetable", "operations", "moderate", 3, 6, "TutorCruncher, Calendly",
             "Scheduling hours per week",
             "timetable timetables scheduling rooms sessions tutors bookings",
             "Timetable and room scheduling | Automated class scheduling | Tutor and "
             "student session matching",
             "Schedules sessions from tutor availability, learner needs and rooms and "
             "handles rebooking automatically. | Matches tutors to learners and schedules "
             "sessions and rooms automatically, without back-and-forth.",
             "Timetabling is done by hand and changes constantly."),
            ("ed_fees", "finance", "simple", 4, 2, "Stripe, QuickBooks Online",
             "Overdue tuition fees",
             "fees fee tuition payments invoices overdue instalments",
             "Tuition fee reminders and payment plans | Automated fee collection | Overdue "
             "tuition follow-up",
             "Sends fee invoices with online payment and instalment options and reminds "
             "families automatically before and after due dates. | Automates tuition fee "
             "invoices, online payment and overdue fee reminders to families.",
             "Fees are collected late and chased by hand."),
            ("ed_student_help", "customer_service", "moderate", 4, 4,
             "Canvas LMS, Claude API",
             "Learner questions answered out of hours",
             "questions students learners help assistant support course",
             "24/7 learner help assistant | Course question chatbot for learners | AI "
             "teaching assistant for questions",
             "Answers learners' course questions at any hour from the course materials and "
             "passes difficult ones to tutors. | Gives learners an AI assistant grounded in "
             "the course materials that answers their questions and escalates to tutors.",
             "Learners wait for answers and drop out."),
            ("ed_course_marketing", "marketing", "simple", 4, 3, "Kajabi, Mailchimp",
             "Course enrolments per launch",
             "courses course launch webinar webinars marketing enrolments",
             "Course launch email sequences | Webinar-to-enrolment funnel | Automated "
             "course promotion",
             "Runs automated launch sequences, webinar reminders and follow-ups that turn "
             "interested people into enrolments. | Automates course promotion with launch "
             "emails, webinar reminders and follow-ups from sign-up to enrolment.",
             "Course launches rely on one-off emails."),
            ("ed_consent", "compliance", "simple", 3, 2, "Jotform, Brightwheel",
             "Missing consent forms",
             "consent safeguarding permission forms privacy ferpa trips",
             "Digital consent forms and permission slips | Safeguarding and consent "
             "records | Student data consent tracking",
             "Collects consent and permission slips online, chases missing ones and keeps a "
             "searchable record. | Replaces paper permission slips and consent forms with "
             "tracked digital consent and reminders for missing ones.",
             "Paper consent forms go missing."),
            ("ed_reports", "operations", "moderate", 4, 4, "PowerSchool, Claude API",
             "Report-writing hours per term",
             "reports report progress comments cards term",
             "Student progress reports drafted by AI | Report comment generation | Learner "
             "progress summaries for parents",
             "Drafts report comments from grades and teacher notes for teachers to edit. | "
             "Turns grades, assessment data and teacher notes into personalised student "
             "progress report comments to edit.",
             "Report writing takes teachers days each term."),
        ),
    ),
    _family(
        "general", "Small and mid-sized businesses", "",
        "Most small and mid-sized businesses lose time in the same places: the inbox, "
        "re-typing data between tools, chasing payments, and follow-ups that depend on "
        "someone remembering. Off-the-shelf tools with AI features now cover most of this "
        "without custom software.",
        ("Answering customer enquiries by email, phone and chat",
         "Following up leads and quotes",
         "Invoicing, payment collection and bookkeeping",
         "Moving data between systems and spreadsheets",
         "Hiring, onboarding and staff admin",
         "Reporting on how the business is doing"),
        ("AI output can be confidently wrong; keep a person approving anything a customer "
         "sees until it has proved reliable.",
         "Customer and staff data must stay within tools that have proper data protection "
         "terms.",
         "Automating a broken process makes it fail faster; fix the process first."),
        (
            ("gen_email_triage", "customer_service", "simple", 4, 2,
             "Microsoft 365, Zapier, OpenAI API",
             "First response time",
             "email emails inbox enquiries triage routing messages replies",
             "AI email triage and routing | Automated inbox classification with AI | Smart "
             "routing of incoming customer emails",
             "Reads every incoming email, classifies it by type and urgency with AI and "
             "routes it to the right person or queue with a suggested reply. | Sorts the "
             "shared inbox automatically: AI labels each customer email by topic and "
             "priority and sends it to whoever handles it.",
             "The shared inbox is sorted by hand and urgent emails wait."),
            ("gen_faq_bot", "customer_service", "simple", 4, 2, "Intercom, Tidio",
             "Questions answered without staff",
             "questions faq website chat answers repetitive customers enquiries",
             "Website FAQ chatbot | AI assistant for common customer questions | 24/7 "
             "answer bot trained on your FAQs",
             "Adds a chat assistant to the website that answers common questions from the "
             "business's own FAQs and pages and hands over to staff when unsure. | Answers "
             "routine customer questions around the clock with an AI chatbot grounded in "
             "the website content.",
             "Staff answer the same questions over and over."),
            ("gen_reply_drafts", "customer_service", "simple", 4, 2,
             "Zendesk, Freshdesk, Help Scout",
             "Handling time per ticket",
             "replies reply support tickets helpdesk responses templates",
             "AI-drafted replies for support agents | Suggested answers in the helpdesk | "
             "Reply drafting assistant for customer emails",
             "Drafts a reply to each support ticket from past answers and the knowledge "
             "base for the agent to check, edit and send. | Gives agents AI-suggested "
             "answers inside the helpdesk so replies take minutes, not tens of minutes.",
             "Each reply is written from scratch."),
            ("gen_reviews", "marketing", "simple", 3, 2,
             "Google Business Profile, Birdeye, Trustpilot",
             "New reviews per month",
             "reviews review reputation google rating ratings feedback",
             "Review request and reply automation | Automatic review requests after each "
             "job | AI replies to online reviews",
             "Asks every happy customer for a review at the right moment and drafts "
             "replies to new reviews for approval. | Automates review collection after "
             "each sale or visit and answers reviews with AI drafts.",
             "Happy customers rarely leave reviews unless asked."),
            ("gen_calls", "customer_service", "moderate", 3, 4, "Aircall, RingCentral, HubSpot",
             "Calls logged with notes",
             "phone calls call voicemail notes conversations",
             "Call transcription and summaries | Phone call notes written by AI | Automatic "
             "logging of phone conversations",
             "Records and transcribes business calls, writes a summary with action items "
             "and logs it on the customer's record. | Turns every phone conversation into "
             "an AI summary and follow-up task in the CRM.",
             "What was said on the phone is lost."),
            ("gen_missed_calls", "customer_service", "simple", 4, 1,
             "CallRail, Podium, Twilio",
             "Missed calls recovered",
             "missed calls unanswered phone voicemail callback",
             "Missed-call text-back | Instant SMS reply to missed calls | Automatic text "
             "follow-up for unanswered calls",
             "When a call is missed, texts the caller straight away with a helpful message "
             "and a link to book or reply, so the enquiry is not lost. | Sends an automatic "
             "text to every missed caller and logs the conversation for staff.",
             "Missed calls become lost customers."),
            ("gen_feedback", "customer_service", "moderate", 3, 4,
             "Typeform, Claude API, Looker Studio",
             "Customer satisfaction score",
             "feedback survey surveys complaints satisfaction nps comments",
             "Customer feedback theme analysis | AI clustering of survey comments | "
             "Voice-of-customer insights report",
             "Collects feedback from surveys, reviews and emails and uses AI to group it "
             "into themes with counts and examples every month. | Analyses customer "
             "feedback, survey comments and complaints with AI to show the top themes each "
             "month.",
             "Feedback is collected but never analysed."),
            ("gen_lead_capture", "sales", "simple", 4, 2, "HubSpot, Zapier, Typeform",
             "Leads logged within an hour",
             "leads lead enquiries crm forms pipeline contacts",
             "Web lead capture into the CRM | Automatic CRM entry for new enquiries | "
             "Form-to-CRM lead logging",
             "Sends every website form, email and chat enquiry into the CRM as a lead with "
             "source and details, and alerts the owner. | Logs new enquiries in the CRM "
             "automatically so no lead lives only in an inbox.",
             "Leads sit in inboxes and some are forgotten."),
            ("gen_lead_scoring", "sales", "moderate", 4, 4, "HubSpot, OpenAI API",
             "Conversion rate of contacted leads",
             "leads scoring qualify qualification prioritise prospects",
             "AI lead scoring and prioritisation | Ranking incoming leads by likelihood to "
             "buy | Smart lead qualification",
             "Scores each new lead with AI from what they asked, who they are and how they "
             "engaged, so the team calls the best ones first. | Qualifies and ranks leads "
             "automatically and routes hot ones to sales at once.",
             "Time goes on leads that will never buy."),
            ("gen_followups", "sales", "simple", 5, 2, "Pipedrive, HubSpot, Mailchimp",
             "Quotes accepted",
             "follow-up follow-ups followup quotes proposals sales pipeline chase",
             "Automated sales follow-up sequences | Quote follow-up reminders | Nurture "
             "emails for quotes not yet accepted",
             "After a quote or proposal is sent, follows up automatically with a sequence of "
             "helpful emails and reminders to the salesperson until the customer decides. | "
             "Chases open quotes and proposals with timed, personal follow-up emails and "
             "reminder tasks for the salesperson.",
             "Quotes are sent and never followed up."),
            ("gen_proposals", "sales", "moderate", 4, 3, "PandaDoc, OpenAI API",
             "Time to send a proposal",
             "quotes proposals proposal estimates pricing documents templates",
             "AI-assisted proposal drafting | Proposal generator from templates | Faster "
             "proposals with AI first drafts",
             "Drafts proposals from a short brief and the company's templates and pricing, "
             "ready to review and send for e-signature. | Generates proposal and quote first "
             "drafts with AI from meeting notes, templates and price lists.",
             "Proposals take hours to assemble."),
            ("gen_meeting_notes", "sales", "simple", 3, 1, "Fireflies.ai, HubSpot, Zoom",
             "Admin minutes per meeting",
             "meetings meeting notes crm calls recaps",
             "Meeting notes and CRM updates by AI | Automatic meeting notes into the CRM | "
             "AI meeting recaps",
             "Records client meetings with consent, summarises them with AI and files the "
             "notes and next steps into the CRM. | Writes AI meeting recaps from the "
             "recording and files the notes and follow-up tasks in the CRM.",
             "Notes are typed up late or not at all."),
            ("gen_social", "marketing", "simple", 3, 2, "Buffer, Canva, OpenAI API",
             "Posts published per month",
             "social media posts instagram linkedin facebook content",
             "AI-assisted social media calendar | Social posts drafted and scheduled with "
             "AI | Content repurposing for social channels",
             "Drafts a month of social posts from the business's news and offers, designs "
             "images from templates and schedules them. | Plans and schedules social media "
             "posts for the month, with AI drafting the copy and Canva templates for images.",
             "Social media is posted when someone has a spare moment."),
            ("gen_newsletter", "marketing", "simple", 3, 2, "Mailchimp, Canva",
             "Email click-through rate",
             "newsletter newsletters email marketing campaigns subscribers",
             "Automated email newsletter | Monthly customer newsletter drafted by AI | "
             "Segmented email campaigns",
             "Drafts a monthly newsletter with AI from recent news and offers and sends it "
             "to segmented lists. | Keeps customers in touch with a monthly email newsletter "
             "drafted by AI and sent to segmented lists.",
             "Customers hear from the business rarely."),
            ("gen_seo", "marketing", "moderate", 3, 8, "Semrush, WordPress, Claude API",
             "Organic website visits",
             "seo website blog search google traffic articles",
             "SEO blog content pipeline | AI-drafted website articles | Search-optimised "
             "content workflow",
             "Finds questions customers search for, drafts articles with AI for a person to "
             "edit and publishes them on a schedule. | Builds search traffic with an "
             "AI-assisted workflow that drafts website articles on what customers search "
             "for.",
             "The website brings in few new customers."),
            ("gen_winback", "marketing", "simple", 4, 3, "Mailchimp, HubSpot",
             "Lapsed customers reactivated",
             "lapsed inactive repeat returning win-back retention reactivation",
             "Lapsed customer win-back campaign | Reactivation emails for inactive "
             "customers | Automated win-back offers",
             "Finds customers who have not bought in a while and sends a personalised "
             "sequence to bring them back. | Reactivates lapsed and inactive customers with "
             "an automated, personalised win-back email sequence.",
             "Past customers drift away without a word."),
            ("gen_marketing_report", "marketing", "moderate", 3, 3,
             "Google Analytics, Looker Studio, Meta Ads Manager",
             "Cost per acquisition",
             "ads advertising marketing spend campaigns analytics roi",
             "Ad performance reporting with AI commentary | Weekly marketing dashboard | "
             "Automated campaign performance digest",
             "Pulls ad and website data into one dashboard each week with an AI summary of "
             "what worked. | Reports marketing and ad spend against results automatically in "
             "a weekly dashboard with AI commentary.",
             "Nobody knows which marketing pays off."),
            ("gen_referrals", "sales", "simple", 3, 3, "HubSpot, Mailchimp",
             "Referrals per month",
             "referral referrals word-of-mouth recommend",
             "Referral request automation | Automatic referral asks after good outcomes | "
             "Customer referral programme",
             "Asks satisfied customers for referrals at the right moment and tracks and "
             "thanks referrers automatically. | Runs a simple customer referral programme on "
             "autopilot: timed referral asks, tracking and thank-yous.",
             "Word of mouth is left to chance."),
            ("gen_documents", "operations", "moderate", 4, 4,
             "Google Document AI, Zapier, Airtable",
             "Minutes of data entry per document",
             "paperwork documents pdf pdfs data-entry forms typing scanning",
             "Document data extraction with AI | Automatic reading of PDFs and forms | AI "
             "capture of data from paperwork",
             "Reads incoming PDFs and scanned forms with document AI and writes the fields "
             "into the right system for a person to check. | Ends retyping of paperwork: "
             "AI extracts the data from documents automatically.",
             "Staff retype information from documents."),
            ("gen_knowledge", "operations", "moderate", 3, 4,
             "Notion, Microsoft 365 Copilot, Slack",
             "Questions to managers per week",
             "procedures knowledge handbook policies questions how-to",
             "Internal knowledge assistant | AI search over company procedures | "
             "Ask-the-handbook chatbot for staff",
             "Puts procedures and policies in one place and lets staff ask an AI assistant "
             "that answers from them with links. | Gives the team an AI search over internal "
             "procedures, policies and documents that answers with links.",
             "Staff interrupt managers with questions the handbook answers."),
            ("gen_handoffs", "operations", "simple", 3, 2, "Asana, Zapier, Slack",
             "Tasks overdue",
             "handoffs hand-offs tasks projects tracking checklist follow-through",
             "Automated task hand-offs between teams | Workflow checklists that assign the "
             "next step | Hand-off automation in the project tracker",
             "When one step finishes, creates the next task for the right person with the "
             "details and deadline, and alerts when work stalls. | Automates hand-offs "
             "between people with checklists that create the next task and notify its owner.",
             "Work falls between people at hand-offs."),
            ("gen_supplies", "operations", "simple", 3, 2, "Airtable, Zapier",
             "Stock-outs of supplies",
             "supplies consumables ordering suppliers stationery",
             "Supplies and consumables reordering | Automatic supply reorder reminders | "
             "Consumables tracking with reorder alerts",
             "Tracks usage of supplies and consumables and sends reorder requests to "
             "suppliers or the manager before they run out. | Keeps a simple supplies and "
             "consumables list with automatic reorder alerts to the manager or supplier.",
             "Supplies run out at the worst moment."),
            ("gen_esign", "operations", "simple", 3, 1, "DocuSign, Dropbox Sign",
             "Days to get a signature",
             "signatures signature paper signing sign printed",
             "E-signature for forms and agreements | Paperless sign-off with e-signatures "
             "| Digital signing of customer documents",
             "Sends agreements and forms for electronic signature from templates, reminds "
             "signers and files signed copies automatically. | Replaces printing, signing "
             "and scanning with e-signatures sent from templates, with reminders and "
             "automatic filing.",
             "Paper signatures delay work."),
            ("gen_kpis", "it_data", "moderate", 4, 3, "Looker Studio, Power BI, Google Sheets",
             "Hours spent building reports",
             "reports reporting spreadsheets kpi kpis dashboard numbers metrics",
             "Automated weekly KPI report | Management dashboard with AI summary | Numbers "
             "digest emailed every Monday",
             "Pulls the key numbers from the business's systems into a dashboard and emails "
             "a weekly summary with AI commentary. | Replaces hand-built reports with an "
             "automatic KPI dashboard and a weekly numbers summary written by AI.",
             "Reports are built by hand and are out of date."),
            ("gen_sync", "it_data", "moderate", 3, 4, "Zapier, Make, Airtable",
             "Duplicate entries",
             "duplicate systems sync data-entry copying re-entering integration",
             "Keep customer records in sync across apps | Two-way data sync between systems "
             "| Single customer record across tools",
             "Connects the business's apps so a customer or order entered once appears "
             "everywhere it is needed. | Ends double data entry by syncing customer and "
             "order records between the business's systems automatically.",
             "The same data is typed into several systems."),
            ("gen_spreadsheets", "it_data", "simple", 3, 3, "Airtable, Google Sheets",
             "Spreadsheet errors found",
             "spreadsheets spreadsheet excel tracking trackers",
             "Move spreadsheets into a shared database | Spreadsheet consolidation in "
             "Airtable | Replace tracking spreadsheets with a structured app",
             "Moves the tracking spreadsheets into one shared database with forms, views and "
             "automations. | Consolidates scattered tracking spreadsheets into one "
             "structured shared database with forms and views.",
             "Key information lives in fragile spreadsheets."),
            ("gen_ai_policy", "compliance", "simple", 3, 2,
             "Microsoft 365, Google Workspace, 1Password",
             "Staff using approved AI tools",
             "policy ai privacy security risk rules chatgpt",
             "AI usage policy and safe tool set-up | Approved AI tools and usage rules | "
             "Staff AI guidelines and access controls",
             "Sets rules for what staff may put into AI tools, turns on the business "
             "versions with data protection and manages access centrally. | Gives the team "
             "approved business AI tools with data protection, clear usage guidelines and "
             "central access control.",
             "Staff paste customer data into personal AI accounts."),
            ("gen_phishing", "compliance", "simple", 2, 2, "KnowBe4",
             "Phishing test click rate",
             "security phishing cyber scams fraud passwords",
             "Phishing awareness training | Automated security awareness training | "
             "Simulated phishing and training",
             "Runs simulated phishing emails and short training for staff who click. | "
             "Automates security awareness training with regular simulated phishing emails "
             "and short lessons for staff.",
             "One clicked phishing email can stop the business."),
            ("gen_contracts", "compliance", "simple", 3, 2, "DocuSign, Airtable",
             "Renewals missed",
             "contracts contract renewals expiry suppliers agreements",
             "Contract renewal tracker | Automated contract expiry alerts | Renewal date "
             "monitoring for contracts",
             "Keeps every supplier and customer contract in one register and alerts the "
             "owner before renewal and notice dates. | Tracks supplier and customer contract "
             "expiry and notice dates in one register with renewal alerts.",
             "Contracts renew automatically on bad terms."),
            ("gen_privacy", "compliance", "moderate", 3, 4, "Jotform, Zendesk",
             "Privacy requests answered on time",
             "privacy gdpr personal data requests deletion",
             "Privacy request handling workflow | Data subject request automation | "
             "Personal data request tracking",
             "Takes privacy requests through a form, finds the person's data across systems "
             "and tracks each request to completion within the legal deadline. | Automates "
             "GDPR and privacy request handling: intake form, finding the personal data, and "
             "deadline tracking.",
             "Privacy requests are handled ad hoc."),
            ("gen_invoice_chasing", "finance", "simple", 5, 2,
             "Xero, QuickBooks Online, Chaser",
             "Days sales outstanding",
             "invoices invoice overdue late payments payment chasing receivable debtors "
             "cash",
             "Automated overdue invoice reminders | AI payment chasing | Accounts "
             "receivable follow-up workflow",
             "Sends polite, escalating reminders for overdue invoices with a payment link, "
             "and flags customers who stop responding. | Chases overdue invoices "
             "automatically from the accounting system with reminder emails and a payment "
             "link.",
             "Invoices are paid late because nobody chases them."),
            ("gen_receipts", "finance", "simple", 4, 2, "Dext, Xero, QuickBooks Online",
             "Bookkeeping hours per month",
             "receipts receipt bills expenses bookkeeping suppliers",
             "Receipt and bill capture | Automated bookkeeping of supplier bills | AI "
             "expense categorisation",
             "Captures receipts and supplier bills from photos and email, reads them with AI "
             "and posts them to the accounts. | Automates receipt and supplier bill capture: "
             "AI reads each document and posts it to the books.",
             "Receipts pile up and bookkeeping is always behind."),
            ("gen_invoicing", "finance", "simple", 4, 2, "QuickBooks Online, Zapier, Stripe",
             "Days from work done to invoice",
             "invoicing invoice invoices billing bill",
             "Automatic invoice creation from completed work | Same-day invoicing "
             "automation | Invoice generation from orders",
             "Creates and sends the invoice automatically when work is completed or an order "
             "ships, with an online payment link. | Creates invoices the same day from the "
             "job or order record and sends them with a payment link.",
             "Invoices are created days after the work."),
            ("gen_cashflow", "finance", "moderate", 4, 3, "Float, Xero",
             "Cash forecast accuracy",
             "cash flow cashflow forecast forecasting budget",
             "Cash flow forecasting | Rolling cash forecast from accounting data | AI cash "
             "flow outlook",
             "Builds a rolling 13-week cash forecast from the accounts and updates it daily, "
             "warning of shortfalls early. | Forecasts cash flow automatically from the "
             "accounting data and warns of shortfalls weeks ahead.",
             "Cash surprises arrive with little warning."),
            ("gen_payables", "finance", "moderate", 3, 4, "BILL, QuickBooks Online",
             "Late payment fees",
             "supplier bills payables approvals payments",
             "Supplier invoice approval workflow | Accounts payable automation | Bill "
             "approvals and payment runs",
             "Routes supplier bills to the right approver, schedules payments and syncs "
             "everything to the accounts. | Automates accounts payable: supplier bill "
             "approvals, scheduled payment runs and sync to the accounts.",
             "Bills wait on desks for approval."),
            ("gen_onboarding", "hr", "simple", 3, 2, "BambooHR, Trainual, Google Workspace",
             "Time to productivity for new hires",
             "onboarding hires hire new staff employees starters",
             "New-hire onboarding checklist automation | Automated employee onboarding | "
             "Day-one onboarding workflow",
             "When someone is hired, creates accounts, sends paperwork and runs a checklist "
             "of tasks for the manager and new starter. | Automates new-hire onboarding: "
             "accounts, paperwork and a checklist of day-one tasks for manager and starter.",
             "Onboarding is improvised and new staff wait for access."),
            ("gen_recruiting", "hr", "moderate", 3, 3, "Workable, Calendly",
             "Time to hire",
             "hiring recruiting recruitment candidates cv cvs applications jobs",
             "AI CV screening and interview scheduling | Candidate shortlisting with AI | "
             "Hiring pipeline automation",
             "Screens applications with AI against the job's must-haves and lets shortlisted "
             "candidates book interviews themselves. | Speeds up hiring with AI screening of "
             "CVs and applications and self-service interview scheduling for candidates.",
             "Hiring drags on and good candidates go elsewhere."),
            ("gen_timesheets", "hr", "simple", 3, 2, "Gusto, Clockify",
             "Payroll preparation hours",
             "timesheets timesheet hours leave holiday holidays payroll absence",
             "Timesheet and leave automation | Automatic holiday requests and approvals | "
             "Time tracking reminders and payroll export",
             "Collects timesheets and leave requests digitally, reminds late submitters and "
             "sends approved hours to payroll. | Automates timesheets and leave: digital "
             "holiday requests, reminders and approved hours sent to payroll.",
             "Payroll waits on paper timesheets."),
            ("gen_training", "hr", "simple", 3, 2, "Loom, Scribe, Notion",
             "Training hours per new hire",
             "training procedures sop sops documentation know-how",
             "AI-generated training guides | Recorded processes turned into SOPs | Staff "
             "how-to library from screen recordings",
             "Records how experienced staff do a task and turns it into a step-by-step guide "
             "with AI. | Builds a staff how-to and training library from screen recordings "
             "turned into step-by-step guides.",
             "Know-how is passed on by word of mouth."),
        ),
    ),
)

# Concepts that solve one problem in different words (a website FAQ bot and ticket
# deflection both answer the questions customers keep asking). The offline analysts propose
# them as separate ideas, as real ones do; no report should present both. Used by tests as
# ground truth, never by the engine.
SAME_PROBLEM_GROUPS: tuple[frozenset[str], ...] = (
    frozenset({"gen_faq_bot", "sw_support"}),
    frozenset({"gen_faq_bot", "rt_support"}),
    frozenset({"gen_invoice_chasing", "sw_dunning"}),
    frozenset({"gen_missed_calls", "hc_phone"}),
)
