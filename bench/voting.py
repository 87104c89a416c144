"""How well does the voter find the workflows that ≥3 of 5 analysts agree on?

A seeded synthetic benchmark. Each concept is one workflow idea written the way
different analysts (or the same model under different perspectives) would plausibly name
and describe it: hand-written paraphrases, then random surface variants on top (filler
such as "AI-powered", word order, plurals, title case). Concepts are deliberately packed
with near neighbours that are *different* workflows (email triage vs drafting replies,
appointment reminders vs online booking, invoice capture vs payment chasing), so merging
too eagerly costs precision.

Each trial takes one industry's concepts plus the cross-industry ones, gives every
concept a number of proposing samples (ground truth: ≥3 distinct samples = agreed), lets
some samples propose the same idea twice under two names, adds one-off noise ideas, and
scores the agreed clusters of `vote` (called exactly as the pipeline calls it) and of the
exact-name baseline `exact_vote`. Two regimes:

- reuse: analysts often reuse the common name (phrasings drawn Zipf-like);
- reworded: every analyst words the idea differently (a different phrasing per sample).

Two data sets:

- dev (DATA below, every industry in it): the lexicon, weights and threshold are tuned
  on it; its numbers say nothing about generalisation.
- held-out (bench/voting_heldout.py): fourteen other industries, written for issue 12
  before the voter was changed and never used for tuning. The targets apply to it:
  precision ≥ 0.95 in both regimes, recall ≥ 0.85 (reuse) and ≥ 0.75 (reworded).

One team wrote both data sets and the lexicon, so even held-out is an optimistic stand-in
for real analysts' wording.

Run: python bench/voting.py [--trials 280] [--seed 7]
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from compass.engine.voter import Consensus, exact_vote, vote

try:  # run as a script (python bench/voting.py) or as a module (bench.voting)
    from bench.voting_heldout import HELD_OUT_DATA, HELD_OUT_NOISE
except ImportError:  # pragma: no cover
    from voting_heldout import HELD_OUT_DATA, HELD_OUT_NOISE  # type: ignore[no-redef]

REGIMES = ("reuse", "reworded")
# Held-out targets: (precision, recall) per regime. False consensus is the worse error.
TARGETS = {"reuse": (0.95, 0.85), "reworded": (0.95, 0.75)}
PERSPECTIVES = ["operations", "customer_experience", "finance_risk", "growth", "technology"]

# "@industry" starts a group; "key | domain | tools" a concept; indented lines are its names
# (";"-separated) and "> " lines its descriptions, continued on lines indented by four.
DATA = """
@generic
email_triage | customer_service | Gmail, Outlook, Zapier
  AI email triage; Automated inbox classification with AI; Smart inbox sorting and prioritisation
  Customer email categorisation and routing; Shared mailbox triage; Incoming message classifier
  > Reads every incoming email, tags it by topic and urgency and routes it to the right person's
    queue.
  > Classifies messages arriving in the shared inbox (orders, complaints, questions) and flags
    urgent ones for same-day handling.
reply_drafting | customer_service | Gmail, Front, ChatGPT
  AI-drafted email replies; Auto-reply drafts for common customer questions
  Suggested responses for the support inbox
  Email response generator; Reply drafting copilot for customer emails
  > Drafts a reply to each routine customer email from past answers and policies; staff review and
    send.
  > Generates suggested responses so the team edits instead of writing every answer from scratch.
faq_chatbot | customer_service | Intercom, Tidio, Chatbase
  Website FAQ chatbot; 24/7 customer service chatbot; AI virtual assistant for customer questions
  Website chat assistant answering common questions; Self-service help bot
  > A chat widget on the website answers frequently asked questions around the clock and hands over
    to a person when it cannot.
  > Answers common customer questions instantly from the business's own content, outside opening
    hours too.
review_requests | marketing | Google Business Profile, Birdeye
  Automated review requests; Post-service Google review campaign; Review generation follow-ups
  Ask happy customers for online reviews; Review invitation sequence
  > After each completed job or visit, sends the customer a short message asking for a Google
    review, with one reminder.
  > Invites satisfied customers to leave a public review at the right moment to grow the rating.
review_responses | marketing | Google Business Profile, ChatGPT
  AI responses to online reviews; Review reply assistant; Automated Google review responses
  Replying to reviews at scale; Draft replies to customer reviews
  > Drafts a personalised public reply to each new online review, escalating negative ones to the
    owner.
  > Writes on-brand answers to Google and Facebook reviews so none go unanswered.
invoice_capture | finance | Dext, Xero, QuickBooks
  AI invoice data extraction; Supplier invoice capture and coding; OCR for incoming bills
  Automated accounts payable data entry; Invoice scanning into the accounting system
  Bill processing automation
  > Pulls supplier, amounts, VAT and due date out of emailed PDF invoices and posts them to the
    accounting software for approval.
  > Supplier bills are read automatically and coded to the right ledger account instead of being
    typed in by hand.
payment_chasing | finance | Xero, Chaser, GoCardless
  Overdue invoice reminders; Automated payment chasing; Accounts receivable follow-up emails
  Late payment nudges; Dunning sequence for unpaid invoices; AR follow-up bot
  > Sends polite, escalating reminders for unpaid invoices and logs promises to pay.
  > Chases customers who are late paying, so cash comes in faster without awkward phone calls.
bank_reconciliation | finance | Xero, QuickBooks
  Automated bank reconciliation; AI transaction matching; Bank feed reconciliation
  Matching payments to invoices automatically; Reconcile bank statements with the ledger
  Month-end rec assistant; Auto-reconcile the bank feed
  > Matches bank transactions to invoices and bills and flags the ones that need a human.
  > Suggests matches between the bank feed and open items so month-end reconciliation takes minutes.
expense_receipts | finance | Expensify, Dext
  Receipt capture and expense categorisation; Automated expense reports; Expense claim processing
  Snap-and-submit receipts; AI expense coding
  > Staff photograph receipts; the amounts are read, categorised and turned into expense claims for
    approval.
  > Removes the monthly pile of paper receipts by extracting and coding expenses as they happen.
lead_followup | sales | HubSpot, Zapier
  Instant lead follow-up; Automated response to new enquiries; Speed-to-lead autoresponder
  New lead nurture emails; Web enquiry follow-up sequence
  > Replies to every new web or phone enquiry within minutes and follows up until the lead books or
    declines.
  > New leads get an immediate personalised response and a short nurture sequence.
lead_scoring | sales | HubSpot, Pipedrive
  AI lead scoring; Lead qualification and prioritisation; Predictive lead ranking
  Score inbound leads by likelihood to buy; Sales lead triage
  > Scores each new lead on fit and intent so the team calls the most promising first.
  > Ranks inbound enquiries by how likely they are to convert, using past won and lost deals.
social_content | marketing | Buffer, Canva, ChatGPT
  AI social media content generation; Social post scheduler with AI copy
  Automated social media posting
  Content calendar generator; AI-written posts for Instagram and Facebook
  > Drafts a month of social posts from the business's news and offers and schedules them.
  > Generates captions and a posting calendar so social channels stay active with little effort.
meeting_notes | operations | Otter.ai, Fireflies
  Meeting notes and action items; AI meeting summaries; Call transcription and summary
  Automatic minutes for team meetings; Meeting recap generator
  > Records and transcribes meetings, then sends a summary with decisions and action items.
  > Produces minutes and a to-do list after every internal meeting.
kpi_reporting | it_data | Looker Studio, Power BI
  Automated KPI dashboard; Weekly performance report generation; Business intelligence reporting
  Management reporting automation; AI weekly business summary
  > Pulls figures from the booking, sales and accounting systems into one dashboard refreshed daily.
  > Builds the weekly management report automatically with a plain-English summary of what changed.
cv_screening | hr | Workable, Greenhouse
  AI CV screening; Candidate shortlisting; Resume screening and ranking
  Automated applicant filtering; Recruitment pre-screening
  > Reads applications against the job's requirements and produces a ranked shortlist with reasons.
  > Screens incoming CVs so the hiring manager only interviews the best-matched candidates.
employee_onboarding | hr | BambooHR, Notion
  New hire onboarding automation; Employee onboarding checklist; Staff onboarding workflow
  Automated onboarding for new employees; Onboarding journey for new starters
  > Sends contracts, collects documents, creates accounts and schedules training for every new
    employee.
  > Gives new staff a guided first two weeks with tasks and reminders for their manager.
client_onboarding | customer_service | HubSpot, Typeform
  Client onboarding automation; New customer welcome sequence
  Automated client intake and onboarding
  Customer onboarding emails; Welcome journey for new clients
  > Welcomes each new client, collects the information needed to start and sets expectations by
    email.
  > A sequence of welcome messages and forms that gets new customers set up without back-and-forth.
winback | marketing | Mailchimp, Klaviyo
  Customer win-back campaign; Lapsed customer reactivation
  Re-engagement emails for inactive customers
  Win back lost customers; Dormant customer reactivation offers
  > Finds customers who have not bought or visited in months and sends them a tailored offer to
    return.
  > Re-engages inactive customers with personalised messages before they are lost for good.
contract_review | compliance | Spellbook, Ironclad
  AI contract review; Contract clause extraction; Automated contract analysis
  Agreement risk flagging; Contract summarisation
  > Reads incoming contracts, summarises key terms and flags unusual or risky clauses for review.
  > Extracts renewal dates, liabilities and obligations from agreements into a register.
knowledge_assistant | it_data | Notion AI, Guru
  Internal knowledge base assistant; AI search over company documents
  Staff Q&A bot for policies and procedures
  Knowledge management chatbot; Ask-the-handbook assistant; SOP search with AI
  > Lets staff ask questions in plain language and get answers from internal procedures and
    documents.
  > A searchable assistant over the company's manuals so new staff stop interrupting senior
    colleagues.

@clinic
appointment_reminders | customer_service | Twilio, Cliniko
  Automated appointment reminders; SMS appointment reminders; No-show reduction via reminder texts
  Patient reminder messages; Appointment confirmation and reminder sequence
  > Sends text and email reminders 48 and 2 hours before each appointment and lets patients confirm
    or cancel.
  > Cuts no-shows with timed reminders and one-tap confirmation.
online_booking | customer_service | Cliniko, Calendly
  Online appointment booking; 24/7 self-service scheduling; AI booking assistant
  Patient self-scheduling portal; Automated appointment scheduling
  > Patients book, move or cancel their own appointments online at any hour, without calling
    reception.
  > Takes bookings through the website and chat and fills the diary without phone tag.
patient_intake | operations | Jotform, Cliniko
  Digital patient intake forms; Pre-visit intake automation; Automated patient registration
  Patient intake questionnaire with AI pre-fill; New patient paperwork automation
  > New patients complete their medical history and consent forms online before the visit and the
    data lands in the record.
  > Replaces clipboards in the waiting room with forms sent ahead of the first appointment.
clinical_notes | operations | Heidi Health, Nuance DAX
  AI clinical note drafting; Ambient scribe for consultations; Automated SOAP notes
  Consultation transcription into the patient record; Medical documentation assistant
  > Listens to the consultation and drafts the clinical note for the clinician to check and sign.
  > Turns the conversation into structured notes, saving clinicians their evenings of typing.
insurance_claims | finance | Tebra, Kareo
  Insurance claim preparation; Automated claims submission; Claim coding and scrubbing
  Insurance billing automation; Medical billing claim checks
  > Checks codes and patient details on each claim before submission so fewer are rejected.
  > Prepares and submits insurer claims automatically from the appointment record.
patient_recall | marketing | Cliniko, Mailchimp
  Patient recall campaigns; Lapsed patient reactivation; Automated check-up recall reminders
  Overdue patient recall; Bring back patients due for a visit
  > Finds patients due for a check-up or who have not visited in a year and invites them to book.
  > Runs recall messages for routine check-ups so the diary stays full.
prescription_refills | operations | Cliniko, Twilio
  Prescription refill requests; Automated repeat prescription handling; Medication refill workflow
  Refill request triage; Repeat script processing
  > Collects repeat prescription requests online, checks them against the record and queues them for
    the doctor.
  > Handles medication refill requests without phone calls to reception.
waitlist | operations | Cliniko, Twilio
  Cancellation waitlist filling; Automatic slot backfill from waitlist
  Smart waitlist for cancelled appointments
  Fill last-minute cancellations; Waitlist notification automation
  > When an appointment is cancelled, texts patients on the waitlist and books the first to accept.
  > Fills cancelled slots automatically from a list of patients who want an earlier time.

@logistics
route_optimisation | operations | OptimoRoute, Routific
  Delivery route optimisation; AI route planning; Dynamic dispatch and routing
  Optimised delivery schedules; Route planner for drivers
  > Plans each day's delivery routes around time windows, traffic and vehicle capacity.
  > Builds the most efficient sequence of drops per driver and re-plans when orders change.
delivery_notifications | customer_service | Twilio, Onfleet
  Proactive delivery status updates; Automated shipment tracking notifications
  ETA alerts for customers
  Live delivery tracking messages; Customer delivery notifications
  > Texts recipients when their parcel is out for delivery with a live ETA and updates on delays.
  > Keeps customers informed of shipment status so they stop calling to ask.
proof_of_delivery | operations | Onfleet, Dropbox
  Digital proof of delivery; POD capture and filing; Automated delivery confirmation paperwork
  Electronic POD with photo capture; Proof-of-delivery document processing
  > Drivers capture signature and photo on a phone app; the POD is attached to the order and sent to
    the customer.
  > Replaces paper delivery notes with digital proof filed against each consignment.
freight_quotes | sales | Freightos, HubSpot
  Instant freight quotes; Automated quote generation for shipments; Rate quote calculator
  AI pricing for transport requests; Quote request handling
  > Reads quote requests from email, prices them from the rate card and lanes, and replies within
    minutes.
  > Produces freight quotes automatically so the sales team answers more requests.
fleet_maintenance | operations | Samsara, Fleetio
  Predictive fleet maintenance; Vehicle service scheduling; Truck maintenance alerts
  Fleet maintenance tracking; Breakdown prediction from telematics
  > Uses mileage and telematics data to schedule servicing before vehicles break down.
  > Flags trucks that are due or showing warning signs so repairs happen off the road.
customs_documents | compliance | Descartes, CargoWise
  Customs documentation automation; Automated customs declarations; Shipping document preparation
  Commercial invoice and packing list generation; Customs paperwork checks
  > Generates customs declarations and shipping documents from order data and checks them for
    errors.
  > Prepares export paperwork automatically so shipments are not held at the border.
freight_audit | finance | Xero, Excel
  Freight invoice audit; Carrier bill checking; Automated freight bill auditing
  Detect overcharges on carrier invoices; Transport invoice verification
  > Compares each carrier invoice with the agreed rates and the shipment record and flags
    overcharges.
  > Audits freight bills before payment so billing errors are caught.
load_planning | operations | Excel, Cargo Planner
  Load planning optimisation; Truck load consolidation; Pallet and load planning
  Vehicle capacity planning; Smart load building
  > Works out how to load pallets onto each vehicle to use capacity fully and cut trips.
  > Consolidates shipments into fewer, fuller loads.

@professional
document_collection | customer_service | Karbon, Content Snare
  Client document collection; Automated chasing of missing client documents
  Year-end paperwork requests
  Document request portal with reminders; Tax document gathering
  > Sends each client a checklist of the documents needed, collects uploads and chases what is
    missing.
  > Gathers year-end records from clients without endless email back-and-forth.
time_capture | finance | Clio, Harvest
  Automated time capture; Billable hours tracking; Timesheet to invoice automation
  Time entry from calendar and email; Capture unbilled time
  > Builds time entries from calendar, email and document activity so billable work is not
    forgotten.
  > Turns tracked hours into draft invoices at month end.
legal_research | compliance | Lexis+ AI, Westlaw
  AI legal research; Case law research assistant; Precedent search
  Legal research summaries; Statute and case lookup
  > Finds relevant cases and legislation for a question and summarises them with citations.
  > Speeds up research by surfacing precedents and drafting a research memo.
conflict_checks | compliance | Clio, Actionstep
  Automated conflict checks; New matter conflict search; Conflict of interest screening
  Client conflict checking; Matter intake conflict screening
  > Searches existing clients and parties for conflicts when a new matter is opened.
  > Screens every new instruction for conflicts of interest before work starts.
engagement_letters | compliance | Clio, DocuSign
  Engagement letter generation; Automated client engagement letters; Letter of engagement drafting
  Standard engagement letter automation; Proposal and engagement letter builder
  > Produces the engagement letter from the agreed scope and fee and sends it for e-signature.
  > Generates compliant letters of engagement for each new client in minutes.
tax_returns | finance | TaxCalc, Xero Tax
  Tax return preparation; Automated tax return drafting; Tax prep data gathering
  Pre-filled tax returns; Tax computation automation
  > Pre-fills tax returns from the client's bookkeeping data and flags items to review.
  > Drafts the return and computation so the accountant only reviews.
month_end_close | finance | Xero, FloQast
  Month-end close checklist; Faster month end; Automated period close
  Month-end journal preparation; Close management automation
  > Runs the month-end checklist, prepares recurring journals and flags what blocks the close.
  > Shortens the monthly close with automated accruals and task tracking.
document_drafting | operations | HotDocs, Spellbook
  Legal document drafting; Template-based document assembly
  Automated drafting of standard agreements
  AI first drafts of letters and contracts; Document automation for routine matters
  > Assembles standard documents from templates and the matter's details for a lawyer to review.
  > Produces first drafts of routine letters and agreements.

@retail
product_descriptions | marketing | Shopify, ChatGPT
  AI product descriptions; Product copy generation; Automated product listing content
  SEO product descriptions; Catalogue description writer
  > Writes product titles and descriptions from specs and photos, optimised for search.
  > Generates consistent listing copy for every new product in the catalogue.
demand_forecasting | operations | Inventory Planner, Shopify
  Demand forecasting; Inventory forecasting; Stock level prediction
  Sales forecasting for purchasing; AI demand planning
  > Predicts sales per product for the coming weeks from history, seasonality and promotions.
  > Forecasts demand so buying decisions are based on data rather than gut feel.
reorder_alerts | operations | Shopify, Stocky
  Low stock alerts; Automated reordering; Reorder point notifications
  Purchase order automation for low inventory; Stock replenishment triggers
  > Watches stock levels and raises a purchase order when a product falls below its reorder point.
  > Alerts the buyer before best sellers run out.
abandoned_cart | marketing | Klaviyo, Shopify
  Abandoned cart recovery; Cart abandonment emails; Checkout recovery sequence
  Recover abandoned checkouts; Automated basket reminders
  > Emails shoppers who left items in their basket with a reminder and, later, a small incentive.
  > Recovers lost sales from abandoned checkouts.
returns | customer_service | Loop Returns, Shopify
  Returns processing automation; Automated returns and refunds; Return request handling
  Self-service returns portal; RMA workflow
  > Customers start a return online, get a label, and the refund or exchange is issued when the
    parcel arrives.
  > Handles return requests end to end without staff emailing back and forth.
recommendations | sales | Shopify, Rebuy
  Personalised product recommendations; AI recommendations engine
  Product suggestions by purchase history
  Cross-sell recommendations; Personalised upsell emails
  > Suggests related products on site and by email based on what each customer bought and browsed.
  > Raises order value with personalised cross-sell and upsell suggestions.
order_status | customer_service | Gorgias, Shopify
  Order status chatbot; Where-is-my-order automation; Automated order tracking replies
  Order status enquiries handled by AI; Order update notifications
  > Answers "where is my order?" questions instantly with live tracking information.
  > Sends order updates and handles status questions so support handles fewer tickets.
pricing | sales | Prisync, Shopify
  Dynamic pricing; Competitor price monitoring; Automated price optimisation
  AI pricing recommendations; Markdown optimisation
  > Tracks competitor prices and recommends price changes within set margins.
  > Adjusts prices and markdowns based on demand and stock.

@hospitality
reservations | customer_service | OpenTable, SevenRooms
  Reservation handling; AI table booking assistant; Automated reservation management
  Online booking for tables; Phone reservation bot
  > Takes table bookings by phone, web and chat around the clock and manages changes.
  > Answers reservation requests automatically and keeps the book up to date.
guest_messaging | customer_service | Duve, WhatsApp Business
  Pre-arrival guest messaging; Automated guest communications; Guest message concierge
  Welcome and check-in messages; In-stay guest messaging
  > Sends guests arrival information, upsell offers and answers to their questions before and during
    the stay.
  > Automates the messages guests receive from booking to checkout.
menu_costing | finance | MarketMan, Excel
  Menu costing and margins; Recipe cost calculation; Food cost tracking
  Automated menu engineering; Dish profitability analysis
  > Calculates the cost and margin of each dish from supplier prices and flags dishes that lose
    money.
  > Keeps recipe costs current as ingredient prices change.
staff_rostering | hr | Deputy, 7shifts
  Staff rostering; AI shift scheduling; Automated rota planning
  Demand-based staff scheduling; Shift planning assistant
  > Builds the weekly rota from forecast covers, staff availability and labour budget.
  > Schedules shifts to match expected demand and cut overstaffing.
supplier_ordering | operations | MarketMan, Xero
  Supplier ordering automation; Automatic purchase orders to suppliers; Ingredient ordering
  Kitchen stock ordering; Supplier reorders from stock counts
  > Turns stock counts and par levels into supplier orders sent automatically.
  > Orders ingredients from suppliers based on usage and upcoming bookings.
revenue_management | sales | Mews, Duetto
  Room rate optimisation; Dynamic room pricing; Revenue management
  Occupancy-based pricing; Automated rate adjustments
  > Adjusts room rates daily according to occupancy, local events and competitor prices.
  > Sets prices to maximise revenue per available room.
review_analysis | marketing | ReviewPro, ChatGPT
  Guest review sentiment analysis; Review insights dashboard; Feedback theme analysis
  Analyse guest reviews for recurring issues; Sentiment monitoring of online reviews
  > Reads all guest reviews and surveys and reports recurring complaints and praise by theme.
  > Tracks sentiment across review sites so management sees what to fix.

@construction
job_quotes | sales | Tradify, ServiceM8
  Job quote generation; Automated estimates from site photos; Quote builder for jobs
  Fast quoting; AI estimating
  > Builds a priced quote from the job description, photos and the price list for the tradesperson
    to check.
  > Produces estimates in minutes instead of evenings.
job_scheduling | operations | ServiceM8, Jobber
  Job scheduling and dispatch; Technician scheduling; Crew dispatch automation
  Smart job allocation; Field service scheduling
  > Assigns jobs to crews by skills, location and availability and sends them the details.
  > Plans the week's jobs across technicians and reshuffles when a job overruns.
site_reports | operations | Fieldwire, Procore
  Daily site reports; Automated site diaries; Voice-to-report site logs
  Progress reporting from site photos; Site report generator
  > Foremen dictate or photograph progress; a formatted daily report goes to the client and office.
  > Produces the site diary automatically from notes and photos.
material_takeoff | operations | Togal.AI, Bluebeam
  Material takeoff from drawings; Automated quantity takeoff; Bill of materials from plans
  Materials estimation; Plan takeoff assistant
  > Reads the drawings and measures quantities of materials needed for the job.
  > Calculates a bill of materials from plans instead of manual measuring.
safety_paperwork | compliance | SafetyCulture, Procore
  Safety compliance checklists; Toolbox talk and safety record automation; Automated RAMS documents
  Site safety inspections; Health and safety paperwork
  > Generates risk assessments and method statements and records site safety inspections digitally.
  > Keeps health and safety records complete for every site.
subcontractor_claims | finance | Xero, Procore
  Subcontractor invoice processing; Automated subcontractor invoice approvals
  Progress claim processing
  Subcontractor payment claims; Supplier invoice matching to purchase orders
  > Checks subcontractor claims against contract values and work completed before approval.
  > Processes subcontractor invoices and payment claims with approvals routed to the site manager.
quote_followup | sales | Tradify, HubSpot
  Quote follow-up; Chasing unaccepted quotes; Automated reminders for sent quotes
  Quote conversion follow-ups; Follow up open estimates
  > Reminds customers about quotes they have not accepted and asks whether they have questions.
  > Follows up every open estimate so fewer jobs are lost to silence.

@real_estate
listing_descriptions | marketing | ChatGPT, Rightmove
  AI listing descriptions; Property description writer; Automated property ad copy
  Listing copy generation; Property marketing text
  > Writes property listings from photos, floor plans and key features.
  > Produces consistent, appealing ad copy for every new instruction.
viewing_scheduling | sales | Calendly, Street
  Viewing scheduling; Automated property viewing bookings; Showing scheduler
  Self-book property viewings; Inspection booking automation
  > Lets buyers and tenants book viewings online in available slots and sends confirmations.
  > Coordinates viewings between applicants, vendors and agents without phone calls.
maintenance_requests | operations | Fixflo, Arthur
  Tenant maintenance requests; Repair request triage; Automated maintenance ticketing
  Maintenance request intake and dispatch; Property repair logging
  > Tenants report repairs with photos; the issue is categorised, prioritised and sent to a
    contractor.
  > Logs and routes every maintenance request so nothing is forgotten.
rent_arrears | finance | Arthur, Xero
  Rent arrears reminders; Automated rent collection reminders; Late rent chasing
  Tenant payment reminders; Rent arrears follow-up
  > Reminds tenants before rent is due and chases late payments with escalating messages.
  > Reduces arrears with automatic, polite rent reminders.
buyer_matching | sales | Reapit, Mailchimp
  Buyer and property matching; Automated property alerts for buyers; AI property matching
  New listing alerts to matched buyers; Buyer requirements matching
  > Matches new listings to registered buyers' requirements and alerts them first.
  > Sends each buyer the properties that fit what they are looking for.
tenant_screening | compliance | Goodlord, Experian
  Tenant screening; Automated tenant referencing; Rental application screening
  Applicant vetting; Tenant background checks
  > Collects references, credit and right-to-rent checks for rental applicants and summarises the
    result.
  > Screens applicants consistently and quickly.
valuation | sales | Hometrack, PropertyData
  Automated valuation model; AI property valuation; Comparable sales analysis
  Instant price estimate; Market appraisal assistant
  > Estimates a property's value from comparable sales and features to prepare for appraisals.
  > Gives vendors an instant indicative valuation online.

@manufacturing
predictive_maintenance | operations | Augury, Azure IoT
  Predictive maintenance; Machine failure prediction; Equipment health monitoring
  Condition-based maintenance alerts; Sensor-based downtime prediction
  > Monitors vibration and temperature sensors to predict machine failures before they stop the
    line.
  > Schedules maintenance when equipment shows signs of wear instead of on a fixed calendar.
quality_inspection | operations | Landing AI, Cognex
  AI visual quality inspection; Defect detection with computer vision; Automated quality control
  Camera-based inspection; Product defect spotting
  > Cameras on the line photograph each part and a model flags defects for rejection.
  > Catches quality problems earlier with automated visual inspection.
production_planning | operations | Katana, Excel
  Production scheduling; AI production planning; Shop floor scheduling
  Capacity planning; Job sequencing optimisation
  > Plans production orders across machines and shifts to meet due dates with minimal changeovers.
  > Builds a realistic production schedule from orders, capacity and materials.
purchase_orders | finance | Katana, Xero
  Purchase order processing; Automated supplier POs; Procurement automation
  Supplier order confirmations; PO matching and follow-up
  > Raises purchase orders from material requirements, sends them to suppliers and tracks
    confirmations.
  > Automates procurement so materials arrive on time.
order_entry | operations | Rossum, NetSuite
  Sales order entry automation; Email orders into the ERP
  Automated order capture from emails and PDFs
  Order intake processing; Customer order data entry
  > Reads customer purchase orders arriving by email or PDF and creates sales orders in the ERP.
  > Removes manual keying of incoming orders.
energy_monitoring | operations | Schneider EcoStruxure, Excel
  Energy usage monitoring; Energy cost optimisation; Power consumption analytics
  Energy waste alerts; Utility consumption tracking
  > Tracks electricity and gas use per machine and flags waste and peak-time usage.
  > Finds where energy is wasted and how to cut the bill.
work_instructions | operations | Dozuki, Notion
  SOP generation; Work instruction authoring; Standard operating procedure writer
  Digital work instructions; Process documentation assistant
  > Turns expert know-how and videos into step-by-step work instructions for the shop floor.
  > Writes and maintains standard operating procedures.

@saas
ticket_triage | customer_service | Zendesk, Intercom
  Support ticket triage; Automated ticket routing; Help desk ticket classification
  Ticket tagging and prioritisation; Support queue triage
  > Tags each new support ticket by product area and severity and assigns it to the right queue.
  > Prioritises the help desk queue automatically.
customer_health | sales | Gainsight, Mixpanel
  Usage-based churn prediction; Product usage health scores; Customer health scoring
  Churn risk alerts from product usage; Account health monitoring
  > Scores each account from product usage and support history and alerts the account manager when
    risk rises.
  > Predicts which customers are likely to cancel so success managers act early.
trial_conversion | marketing | Customer.io, Mixpanel
  Trial-to-paid nurture; Free trial conversion emails; Activation nudges for trial users
  Trial user activation sequence; Convert trial sign-ups
  > Sends trial users targeted tips and nudges based on what they have and have not done in the
    product.
  > Raises the share of free trials that become paying customers.
release_notes | marketing | GitHub, Notion
  Release notes generation; Changelog writer; Automated product update announcements
  Release notes from commits; Feature announcement drafting
  > Drafts customer-facing release notes from merged pull requests and tickets.
  > Announces product updates consistently without engineers writing copy.
bug_triage | it_data | Jira, Sentry
  Bug report triage; Automated bug deduplication; Issue classification
  Bug ticket prioritisation; Crash report grouping
  > Groups duplicate bug reports, classifies them by component and suggests a priority.
  > Keeps the engineering backlog clean by triaging incoming issues.
call_insights | sales | Gong, Fireflies
  Sales call insights; Call recording analysis; Conversation intelligence
  Sales call coaching; Demo call summaries
  > Transcribes sales calls and highlights objections, competitors mentioned and next steps.
  > Gives reps coaching feedback from their recorded calls.

@education
grading | operations | Gradescope, ChatGPT
  AI marking assistant; Automated grading; Essay feedback generation
  Assignment marking; Homework grading
  > Suggests marks and written feedback on assignments against the rubric for the teacher to
    confirm.
  > Cuts the hours teachers spend marking.
enrolment | sales | HubSpot, Typeform
  Enrolment enquiry handling; Admissions enquiry chatbot; Automated enrolment processing
  Student application processing; Prospective student follow-up
  > Answers admissions questions, collects applications and follows up with prospective students.
  > Handles enrolment enquiries quickly so fewer applicants drift away.
lesson_planning | operations | ChatGPT, Google Classroom
  Lesson plan generation; AI lesson planning; Curriculum resource creation
  Teaching materials generator; Course content drafting
  > Drafts lesson plans, worksheets and slides aligned to the curriculum.
  > Generates teaching resources so teachers spend less time preparing.
attendance | operations | Arbor, Twilio
  Attendance tracking; Absence follow-up; Automated attendance alerts to parents
  Absence notifications; Student attendance monitoring
  > Records attendance and notifies parents the same morning when a student is absent.
  > Follows up unexplained absences automatically.
parent_updates | customer_service | ParentMail, Mailchimp
  Parent communication automation; Parent newsletter generation; Automated updates to parents
  Parent email assistant; School announcements drafting
  > Drafts newsletters and announcements and answers routine parent emails.
  > Keeps parents informed with regular automated updates.
timetabling | operations | TimeTabler, Excel
  Timetable scheduling; Automated timetabling; Class schedule optimisation
  Room and teacher scheduling; Timetable builder
  > Builds the timetable from teacher availability, rooms and subject requirements.
  > Solves the timetable automatically instead of by hand over the summer.
at_risk_students | operations | Arbor, Power BI
  At-risk student identification; Early warning for struggling students; Student performance alerts
  Dropout risk prediction; Learning progress monitoring
  > Combines grades, attendance and engagement to flag students who are falling behind.
  > Warns staff early about students at risk of dropping out.
"""

# One-off ideas a single analyst might add; none of them belongs to a concept above.
NOISE = [
    ("Carbon footprint reporting", "compliance"), ("Office plant watering reminders", "operations"),
    ("Translate website into Spanish", "marketing"), ("Podcast episode repurposing", "marketing"),
    ("Vendor risk questionnaires", "compliance"), ("Password rotation reminders", "it_data"),
    ("Wellbeing pulse survey", "hr"), ("Parking permit allocation", "operations"),
    ("Grant application drafting", "finance"), ("Loyalty tier upgrades", "marketing"),
    ("Data backup verification", "it_data"), ("Holiday request approvals", "hr"),
    ("Press release writer", "marketing"), ("GDPR subject access requests", "compliance"),
    ("Software licence audit", "it_data"), ("Training video subtitles", "hr"),
    ("Fuel card fraud detection", "finance"), ("Event invitation RSVPs", "marketing"),
    ("Cyber phishing simulation", "it_data"), ("Board pack preparation", "finance"),
]
FILLERS_BEFORE = ["AI-powered", "Automated", "Smart", "AI", "Intelligent", "AI-driven"]
FILLERS_AFTER = ["with AI", "automation", "using AI", "workflow", "system"]
FRAMINGS = [
    "Quick win:", "For the owner:", "Step by step:", "In short,", "Today this is manual;",
    "Using the existing tools,", "Low risk:", "",
]
PROBLEMS = [
    "Staff spend hours on this every week.", "It is slow, manual and error-prone today.",
    "The owner wants to grow without hiring more admin staff.",
    "Customers complain about slow responses.", "It ties up cash and management time.",
]


@dataclass(frozen=True)
class Concept:
    key: str
    industry: str
    domain: str
    tools: tuple[str, ...]
    names: tuple[str, ...]
    descriptions: tuple[str, ...]


def parse(data: str) -> dict[str, list[Concept]]:
    groups: dict[str, list[Concept]] = {}
    industry = ""
    current: dict = {}

    def flush() -> None:
        if current:
            groups[industry].append(Concept(
                current["key"], industry, current["domain"], current["tools"],
                tuple(current["names"]), tuple(current["descriptions"]),
            ))
            current.clear()

    for raw in data.splitlines():
        line = raw.strip()
        if not line:
            continue
        if line.startswith("@"):
            flush()
            industry = line[1:]
            groups[industry] = []
        elif not raw.startswith(" "):
            flush()
            key, domain, tools = (part.strip() for part in line.split("|"))
            current.update(key=key, domain=domain, tools=tuple(tools.split(", ")),
                           names=[], descriptions=[])
        elif line.startswith(">"):
            current["descriptions"].append(line[1:].strip())
        elif raw.startswith("    "):
            current["descriptions"][-1] += f" {line}"
        else:
            current["names"].extend(name.strip() for name in line.split(";"))
    flush()
    return groups


def variant(name: str, rng: random.Random) -> str:
    """A surface variant: the kind of noise analysts add to the same name."""
    roll = rng.random()
    if roll < 0.2:
        name = f"{rng.choice(FILLERS_BEFORE)} {name[0].lower()}{name[1:]}"
    elif roll < 0.35:
        name = f"{name} {rng.choice(FILLERS_AFTER)}"
    elif roll < 0.45 and " and " in name:
        left, right = name.split(" and ", 1)
        name = f"{right[0].upper()}{right[1:]} and {left[0].lower()}{left[1:]}"
    if rng.random() < 0.3:
        name = name.title()
    return name


def reword(description: str, rng: random.Random) -> str:
    """Two analysts never write the same sentence: drop some words, add a framing."""
    words = [w for w in description.split() if rng.random() > 0.25]
    return f"{rng.choice(FRAMINGS)} {' '.join(words)}"


def workflow(concept: Concept, rng: random.Random, name: str | None = None) -> dict:
    if name is None:
        # Analysts favour a few phrasings (Zipf-like), which gives the exact baseline a chance.
        weights = [1 / (rank + 1) for rank in range(len(concept.names))]
        name = rng.choices(concept.names, weights)[0]
    domain = concept.domain if rng.random() > 0.15 else rng.choice(
        ["operations", "customer_service", "it_data"])
    return {
        "name": variant(name, rng),
        "domain": domain,
        "description": reword(rng.choice(concept.descriptions), rng),
        "problem_solved": rng.choice(PROBLEMS),
        "tools": rng.sample(concept.tools, k=rng.randint(1, len(concept.tools))),
        "feasibility": rng.choice(["simple", "moderate", "advanced"]),
        "impact": rng.randint(2, 5),
        "metric": "hours saved per week",
        "time_to_value_weeks": rng.randint(1, 12),
        "_concept": concept.key,
        "_industry": concept.industry,
    }


@dataclass
class Trial:
    samples: list[list[dict]]
    agreed: set[str]


def make_trial(concepts: list[Concept], rng: random.Random, regime: str = "reuse",
               noise_ideas: list[tuple[str, str]] = NOISE) -> Trial:
    samples: list[list[dict]] = [[] for _ in PERSPECTIVES]
    chosen = rng.sample(concepts, k=min(len(concepts), rng.randint(18, 24)))
    for concept in chosen:
        votes = rng.choices([1, 2, 3, 4, 5], [0.3, 0.2, 0.2, 0.15, 0.15])[0]
        # "reworded": each proposal takes a phrasing no other proposal of it used.
        phrasings = iter(rng.sample(concept.names, k=len(concept.names)))
        for index in rng.sample(range(len(samples)), votes):
            for _ in range(2 if rng.random() < 0.08 else 1):  # an analyst proposes it twice
                name = next(phrasings, None) if regime == "reworded" else None
                samples[index].append(workflow(concept, rng, name))
    noise = iter(rng.sample(noise_ideas, k=len(noise_ideas)))  # each one-off in one sample
    for sample in samples:
        for _ in range(rng.randint(1, 3)):
            name, domain = next(noise)
            sample.append({**workflow(rng.choice(chosen), rng), "name": name, "domain": domain,
                           "description": f"{name}. {rng.choice(PROBLEMS)}",
                           "_concept": f"noise:{name}", "_industry": "noise"})
        rng.shuffle(sample)
    proposers: dict[str, set[int]] = {}
    for index, sample in enumerate(samples):
        for proposed in sample:
            proposers.setdefault(proposed["_concept"], set()).add(index)
    return Trial(samples, {key for key, who in proposers.items() if len(who) >= 3})


@dataclass
class Score:
    true_positives: int = 0
    predicted: int = 0
    actual: int = 0
    found: int = 0
    seconds: float = 0.0
    runs: int = 0

    def add(self, consensus: Consensus, agreed: set[str], seconds: float,
            only: Callable[[str], bool] = lambda label: True) -> None:
        """`only` restricts the count to some concepts (industry-specific ones, say)."""
        seen: set[str] = set()
        for cluster in consensus.agreed:
            label = Counter(m.workflow["_concept"] for m in cluster.members).most_common(1)[0][0]
            if not only(label):
                continue
            self.predicted += 1
            # A concept split into two agreed clusters counts once; the duplicate is an error.
            if label in agreed and label not in seen:
                self.true_positives += 1
            seen.add(label)
        wanted = {label for label in agreed if only(label)}
        self.actual += len(wanted)
        self.found += len(wanted & seen)
        self.seconds += seconds
        self.runs += 1

    @property
    def precision(self) -> float:
        return self.true_positives / self.predicted if self.predicted else 0.0

    @property
    def recall(self) -> float:
        return self.found / self.actual if self.actual else 0.0

    def row(self, label: str, target: tuple[float, float] | None = None) -> str:
        precision, recall = self.precision, self.recall
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        ms = 1000 * self.seconds / self.runs
        line = f"{label:<34}{precision:>10.3f}{recall:>8.3f}{f1:>8.3f}{ms:>10.2f}"
        if target is not None:
            met = precision >= target[0] and recall >= target[1]
            line += f"   P≥{target[0]:.2f} R≥{target[1]:.2f} {'PASS' if met else 'MISS'}"
        return line


Voter = Callable[..., Consensus]


def run(data: str, trials: int, seed: int, regime: str = "reuse",
        noise: list[tuple[str, str]] = NOISE) -> dict[str, Score]:
    """Scores of `vote` and `exact_vote` on `trials` trials, cycling through the industries;
    "specific" rows count only the industry's own concepts."""
    groups = parse(data)
    industries = [name for name in groups if name != "generic"]
    specific = {c.key for name in industries for c in groups[name]}
    rng = random.Random(seed)
    scores = {key: Score() for key in ("vote", "exact_vote", "vote specific")}
    voters: dict[str, Voter] = {"vote": vote, "exact_vote": exact_vote}
    for number in range(trials):
        industry = industries[number % len(industries)]
        trial = make_trial(groups["generic"] + groups[industry], rng, regime, noise)
        for label, voter in voters.items():
            start = time.perf_counter()
            consensus = voter(trial.samples, PERSPECTIVES, min_votes=3)
            elapsed = time.perf_counter() - start
            scores[label].add(consensus, trial.agreed, elapsed)
            if label == "vote":
                scores["vote specific"].add(consensus, trial.agreed, elapsed,
                                            only=specific.__contains__)
    return scores


def held_out(trials: int = 280, seed: int = 7) -> dict[str, Score]:
    """The voter's held-out score per regime (what the targets apply to)."""
    return {regime: run(HELD_OUT_DATA, trials, seed, regime, HELD_OUT_NOISE)["vote"]
            for regime in REGIMES}


def timing(seed: int) -> tuple[float, float]:
    """CPU milliseconds per vote on full-size samples (5 × 25 workflows): median and best
    of 30. CPU time, so other processes on a shared machine do not inflate it."""
    groups = parse(DATA)
    everything = [concept for group in groups.values() for concept in group]
    rng = random.Random(seed)
    runs = []
    for _ in range(30):
        pool = rng.sample(everything, 40)
        samples = [[workflow(c, rng) for c in rng.sample(pool, 25)] for _ in PERSPECTIVES]
        start = time.process_time()
        vote(samples, PERSPECTIVES)
        runs.append(time.process_time() - start)
    return 1000 * statistics.median(runs), 1000 * min(runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=280)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    print(f"{'set / regime / voter':<34}{'precision':>10}{'recall':>8}{'F1':>8}{'ms/vote':>10}")
    for label, data, noise in (("dev", DATA, NOISE), ("held-out", HELD_OUT_DATA, HELD_OUT_NOISE)):
        for regime in REGIMES:
            scores = run(data, args.trials, args.seed, regime, noise)
            for voter, score in scores.items():
                target = TARGETS[regime] if label == "held-out" and voter == "vote" else None
                print(score.row(f"{label} {regime} {voter}", target))
    median, best = timing(args.seed)
    print(f"5 × 25 workflows: median {median:.1f} ms, best {best:.1f} ms CPU per vote")


if __name__ == "__main__":
    main()
