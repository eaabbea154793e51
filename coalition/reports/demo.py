"""Demo reports of the fictional Dynamic Coalition on Child Online Safety (IGF) for
`coalition demo load`: annual and session reports, papers, guidelines and a submission, in
English, Spanish and French, each PDF generated with real text.

Search the archive for "sextortion": the word is only inside the PDF of the industry
guidelines (in no title, summary, author or tag), so finding that report shows the search
reads the files. The FY16 annual report has an earlier version of its PDF; the position
paper on encryption is for members only; the FY17 annual report is a draft; the
submission is only a link.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from coalition.auth.models import Actor
from coalition.reports import services
from coalition.reports.models import Report, Visibility
from coalition.reports.pdf import make_pdf
from coalition.reports.services import FileInput, ReportInput

COALITION = "Dynamic Coalition on Child Online Safety"
PDF_ONLY_WORD = "sextortion"


@dataclass(frozen=True)
class DemoReport:
    slug: str
    title: str
    type: str
    published_on: date
    authors: tuple[str, ...]
    summary: str
    tags: tuple[str, ...]
    paragraphs: tuple[str, ...] = ()  # the PDF's text; none: the report is only a link
    language: str = "en"
    visibility: str = Visibility.PUBLIC.value
    fiscal_year: str | None = None
    external_url: str | None = None
    label: str | None = "Full report"
    earlier: tuple[str, ...] = ()  # the text of a first edition, replaced by `paragraphs`


MEMBERSHIP_FY16 = (
    "Membership. By 31 December 2016 the coalition had {} members from {} countries in all "
    "five UN regional groups: 21 from civil society, 11 from government, 9 from the private "
    "sector, 7 from academia, 6 from the technical community and 4 from intergovernmental "
    "organizations. {}Women are 57 per cent of the members and 60 per cent of the speakers "
    "at our sessions.")
ANNUAL_FY16 = (
    "Foreword. This is the first annual report of the Dynamic Coalition on Child Online "
    "Safety since it adopted its charter at the Internet Governance Forum in João Pessoa. "
    "It records what the coalition did between January and December 2016, what it spent "
    "and who gave their time, and what it intends to do next. We thank every member who "
    "wrote, reviewed, translated and moderated: the coalition has no staff, and all of its "
    "work is done by people who have other jobs.",
    "About the coalition. The coalition brings together governments, civil society, "
    "industry, the technical community, academia and intergovernmental organizations to "
    "share what works in keeping children safe online while respecting their rights to "
    "information, expression and participation. It is open to anyone who accepts its "
    "charter, takes decisions by rough consensus on its open mailing list, and reports to "
    "the IGF community every year.",
    MEMBERSHIP_FY16,
    "The session at IGF 2016. On 7 December 2016 in Guadalajara the coalition held a "
    "roundtable on children's rights in the digital age, from protection to participation. "
    "About 70 people took part in the room and 35 online, including three young people "
    "from Mexico and Colombia who spoke on the panel rather than about it. The session "
    "report, in Spanish, is in this archive.",
    "Age-appropriate design. A working group of eleven members started to collect the "
    "design codes, laws and voluntary principles that ask online services to consider the "
    "age of their users. Its first finding is that most obligations are written for large "
    "platforms; small developers of games and educational apps ask for plain guidance they "
    "can follow without a legal department.",
    "Education. Members in Kenya, the Philippines and Argentina shared teaching materials "
    "on digital literacy and privacy for primary schools. The coalition now keeps a list "
    "of these materials, with their licences, so that teachers elsewhere can translate "
    "and adapt them rather than start again.",
    "Youth participation. We agreed that no panel organized by the coalition will discuss "
    "children without young people on it, and that young speakers are briefed, paid their "
    "travel like any other speaker, and accompanied by an adult they choose.",
    "Finances. The coalition has no budget of its own. In 2016 members contributed about "
    "140 days of work, the hosting of the website and mailing list, and the travel of four "
    "young speakers to Guadalajara. No member paid or received money for taking part.",
    "Priorities for 2017. Publish guidelines for industry on reporting abuse material; "
    "finish the survey of age-appropriate design rules; hold a session at IGF 2017 in "
    "Geneva; recruit members from the Eastern European and Asia-Pacific groups, where we "
    "are fewest.",
)
ANNUAL_FY16_CORRECTED = (
    *(MEMBERSHIP_FY16.format(58, 31, "Six members joined from the Asia-Pacific group in "
                                     "November. ") if p is MEMBERSHIP_FY16 else p
      for p in ANNUAL_FY16),
    "Corrected edition, April 2017. This edition replaces the one of March 2017, which "
    "left out the six members who joined from the Asia-Pacific group in November 2016 and "
    "so gave the membership as 52 members from 28 countries.",
)
ANNUAL_FY16_FIRST = tuple(MEMBERSHIP_FY16.format(52, 28, "") if p is MEMBERSHIP_FY16 else p
                          for p in ANNUAL_FY16)

GUIDELINES = (
    "Purpose. These guidelines are for companies of every size that let people upload, "
    "share or send content: social networks and messaging services, but also game studios, "
    "file hosts, dating apps and school platforms. They describe what a service should do "
    "when it learns that child sexual abuse material is on it. They do not replace the law "
    "of the country where the service operates, and they ask every company to know that "
    "law and to name the person responsible for applying it.",
    "1. Make reporting easy. Every piece of content and every account should have a report "
    "button that works without signing in, in the languages of the service's users. The "
    "report form should offer a category for the sexual abuse or exploitation of a child, "
    "and should not ask the person reporting to describe or attach the material again.",
    "2. Act quickly and keep the evidence. Reports in this category go to the front of the "
    "queue and are reviewed by trained staff within 24 hours. Confirmed material is removed "
    "from public view at once but preserved, with the account details and the logs that "
    "law enforcement will need, for the period the law requires, and never deleted before a "
    "report has been made to the authorities.",
    "3. Report to the right body. In most countries the national hotline, a member of the "
    "INHOPE network, receives reports from the public and from industry, assesses them and "
    "passes them to the police of the country where the material is hosted. Services in the "
    "United States must report to the National Center for Missing and Exploited Children. "
    "Where no hotline exists, the service should agree a reporting channel with the police "
    "unit responsible for crimes against children before it is needed.",
    "4. Use hash matching, with care. Lists of hashes of known material, such as those kept "
    "by hotlines and by industry associations, let a service find copies without anyone "
    "having to look at them. Matching should run on uploads to public and shared spaces; "
    "every match that leads to action on an account should be confirmed by a person, and "
    "the user should be able to appeal.",
    "5. Recognize grooming and coercion. Much of the material reported today was produced "
    "by children themselves under pressure from an adult they met online. Offenders build "
    "trust over weeks, move the conversation to private or encrypted channels, and then ask "
    "for images. Services should train moderators to recognize these patterns, let "
    "children block and report in one step, and explain, in words a twelve-year-old "
    "understands, that the child is never the one at fault.",
    "6. Sextortion. Hotlines and helplines report a growing number of cases of "
    "sextortion: offenders, often posing as young people, obtain an intimate image and then "
    "demand more images, or money, under the threat of sending it to the victim's family, "
    "friends and school. Services should learn the typical scripts, warn users who receive "
    "them, make reporting an account for sextortion a single step, and point victims to "
    "the national hotline and child helpline. A child who has given in to the threats "
    "should be told clearly that giving in rarely ends them, that they did nothing wrong, "
    "and that help is available without judgement.",
    "7. Support the child. A report is about a real child. Where a service can identify a "
    "child in the material as its own user, it should offer support through a child "
    "helpline rather than simply close the account, and it should help the child remove "
    "copies through the hotline's takedown services.",
    "8. Look after moderators. People who review this material need limits on exposure, "
    "tools that blur or shrink images by default, psychological support paid by the "
    "employer, and the right to step away. Outsourcing the work does not outsource this "
    "duty.",
    "9. Be transparent. Publish at least once a year how many reports were received, how "
    "many were confirmed, how quickly they were handled, how many were passed to hotlines "
    "or law enforcement, and how many decisions were reversed on appeal.",
    "10. Small services. A service with a handful of staff cannot run a trust and safety "
    "team. It can still add a report button, name a responsible person, sign up to a hash "
    "list through its hosting provider or a free service, and agree in advance with the "
    "national hotline how it will report. The coalition's members offer to review the "
    "procedures of small services free of charge.",
    "About these guidelines. They were drafted by the coalition's industry working group "
    "between September 2017 and May 2018, discussed at the IGF 2017 session in Geneva and "
    "in two open consultations, and adopted by rough consensus on the coalition's mailing "
    "list on 4 June 2018. They will be reviewed every two years.",
    "Annex: a checklist for small services. Tick each item before launch and review the "
    "list every year.",
    *(f"[ ] {item}" for item in (
        "A report button on every piece of content and every profile, usable without "
        "signing in.",
        "A report category for the sexual abuse or exploitation of a child.",
        "A named person responsible for reports of abuse material, and a deputy.",
        "A written procedure for removing, preserving and reporting confirmed material.",
        "The national hotline's reporting channel, tested before it is needed.",
        "The police unit to contact when a child is in immediate danger.",
        "Hash matching on uploads to public and shared spaces, through the hosting "
        "provider or a free service.",
        "One-step blocking and reporting for children, with words they understand.",
        "Links to the national child helpline where children report.",
        "Limits on exposure and paid psychological support for everyone who reviews "
        "material.",
        "An appeal for users whose content or account was acted on.",
        "A yearly transparency report with the numbers in section 9.")),
)

REPORTS = (
    DemoReport(
        slug="annual-report-fy16", title="Annual Report FY16",
        type="annual_report", published_on=date(2017, 3, 15), fiscal_year="FY16",
        authors=(COALITION,),
        summary="The coalition's first full year: its membership across the five UN "
                "regions, the roundtable at IGF 2016 in Guadalajara, the start of the work "
                "on age-appropriate design, and its priorities for 2017.",
        tags=("child safety", "education", "youth participation"),
        paragraphs=ANNUAL_FY16_CORRECTED, earlier=ANNUAL_FY16_FIRST),
    DemoReport(
        slug="annual-report-fy17", title="Annual Report FY17",
        type="annual_report", published_on=date(2018, 3, 1), fiscal_year="FY17",
        authors=(COALITION,), visibility=Visibility.DRAFT.value,
        summary="Draft for the members' review: the session at IGF 2017 in Geneva, the "
                "consultation on the industry guidelines, and a membership of 74.",
        tags=("child safety", "industry", "youth participation"),
        paragraphs=(
            "Draft for review by the members until 15 March 2018; please send comments to "
            "the coalition's discussion list.",
            "In 2017 the coalition grew to 74 members from 38 countries. Its session at IGF "
            "2017 in Geneva on 19 December, on protecting children online without shutting "
            "them out, drew about 90 participants and a lively exchange between hotlines, "
            "platforms and a youth delegation from Switzerland and Senegal.",
            "The industry working group published two drafts of its guidelines on reporting "
            "abuse material for open consultation and received 31 sets of comments, most of "
            "them asking for advice that small companies can follow.",
            "Priorities for 2018: adopt the guidelines, publish the policy paper on "
            "age-appropriate design, and open a discussion among members on encryption.")),
    DemoReport(
        slug="informe-sesion-igf-2016-guadalajara",
        title="Informe de la sesión: Derechos de la niñez en la era digital (IGF 2016, "
              "Guadalajara)",
        type="session_report", published_on=date(2016, 12, 20), language="es",
        authors=("Camila Fernández (relatora)", "Diego Santos (moderador)"),
        summary="Mesa redonda del 7 de diciembre de 2016: de la protección a la "
                "participación de niñas, niños y adolescentes en internet, con tres jóvenes "
                "de México y Colombia entre los ponentes.",
        tags=("child safety", "youth participation"), label="Informe completo",
        paragraphs=(
            "La mesa redonda de la Coalición Dinámica sobre la Seguridad Infantil en Línea "
            "se celebró el 7 de diciembre de 2016 en el Foro de Gobernanza de Internet de "
            "Guadalajara, con unas 70 personas en la sala y 35 en línea.",
            "Pregunta de política: ¿cómo pueden los Estados y las empresas proteger a niñas, "
            "niños y adolescentes de los riesgos en línea sin limitar su derecho a "
            "informarse, expresarse y participar?",
            "Los tres ponentes jóvenes pidieron que las herramientas de denuncia sean "
            "sencillas y estén en su idioma, y que las escuelas hablen de privacidad y de "
            "acoso sin recurrir al miedo. Una representante del gobierno de México presentó "
            "la estrategia nacional de alfabetización digital; un proveedor de servicios "
            "móviles describió sus controles parentales y reconoció que pocos padres los "
            "usan.",
            "Conclusiones: la protección y la participación no se oponen; las niñas y los "
            "niños deben ser consultados en el diseño de las políticas que les afectan; la "
            "coalición preparará orientaciones para la industria y un estudio sobre el "
            "diseño adecuado a la edad.")),
    DemoReport(
        slug="rapport-session-fgi-2017-geneve",
        title="Rapport de session : Protéger les enfants en ligne sans les exclure "
              "(FGI 2017, Genève)",
        type="session_report", published_on=date(2018, 1, 12), fiscal_year="FY17",
        language="fr", authors=("Élodie Moreau (rapporteuse)", "Kofi Mensah (modérateur)"),
        summary="Session du 19 décembre 2017 au Forum sur la gouvernance de l'internet de "
                "Genève : signalement des contenus illicites, vérification de l'âge et "
                "participation des jeunes.",
        tags=("child safety", "youth participation", "education"), label="Rapport complet",
        paragraphs=(
            "La session de la Coalition dynamique sur la sécurité des enfants en ligne a eu "
            "lieu le 19 décembre 2017 au Palais des Nations, à Genève, devant environ 90 "
            "participants sur place et en ligne.",
            "Les intervenants ont rappelé que la Convention relative aux droits de l'enfant "
            "protège à la fois la sécurité des enfants et leur droit d'accéder à "
            "l'information. Une délégation de jeunes de Suisse et du Sénégal a demandé que "
            "les plateformes expliquent leurs règles dans un langage clair.",
            "Sur la vérification de l'âge, les avis ont divergé : les autorités de "
            "protection des données ont mis en garde contre la collecte de pièces "
            "d'identité, tandis que plusieurs entreprises ont présenté des méthodes "
            "d'estimation qui ne conservent aucune donnée.",
            "Recommandations : consulter les enfants avant d'adopter des règles qui les "
            "concernent ; soutenir les lignes d'écoute et les lignes de signalement ; "
            "former les enseignants aux risques comme aux possibilités de l'internet.")),
    DemoReport(
        slug="age-appropriate-design",
        title="Age-appropriate design: principles for online services likely to be used "
              "by children",
        type="policy_paper", published_on=date(2019, 4, 23),
        authors=("Ana Silva", "Ravi Kumar", "Institute for Youth and Media Studies"),
        summary="Ten principles, drawn from the design codes and laws of twelve countries, "
                "for services that children are likely to use, with advice for small "
                "developers of games and educational apps.",
        tags=("child safety", "industry", "education"),
        paragraphs=(
            "Many online services that were never meant for children are used by them every "
            "day. Age-appropriate design asks the makers of these services to consider the "
            "best interests of the children who are likely to use them, not only of the "
            "adults they had in mind.",
            "We compared the design codes, laws and voluntary principles of twelve "
            "countries. They agree on more than their different vocabularies suggest: "
            "privacy settings high by default, no profiling of children for advertising, "
            "no features that push children to stay online longer than they wish, and "
            "explanations they can understand.",
            "Our ten principles are: know your users' likely ages; default to privacy; "
            "collect only what the service needs; switch off geolocation by default; avoid "
            "nudges and endless feeds; no advertising profiles for children; explain rules "
            "in plain language; make reporting easy; give parents tools that respect the "
            "child's growing autonomy; and review the design when the service changes.",
            "Small developers told us that they want checklists rather than legal texts. "
            "The annex of this paper is such a checklist, tested with five independent game "
            "studios in Sweden, Kenya and Argentina.")),
    DemoReport(
        slug="end-to-end-encryption-and-child-protection",
        title="End-to-end encryption and child protection: the coalition's position",
        type="position_paper", published_on=date(2019, 11, 20),
        visibility=Visibility.MEMBERS.value, label="Members' consultation version",
        authors=(COALITION,),
        summary="For members only, before the public version: why the coalition supports "
                "strong encryption, and what it asks of services that deploy it by default.",
        tags=("encryption", "child safety", "industry"),
        paragraphs=(
            "This version is shared with members for comment before the coalition publishes "
            "its position. It reflects the discussion on the mailing list between May and "
            "October 2019, in which members disagreed strongly and in good faith.",
            "Encryption protects children too: their messages, their location and their "
            "photographs are safer from criminals, stalkers and data breaches when no one "
            "but the recipient can read them. The coalition does not support weakening "
            "encryption, nor mandatory access by third parties to encrypted messages.",
            "End-to-end encryption also stops a service from scanning messages for known "
            "abuse material, which today produces millions of reports a year. The coalition "
            "asks services that deploy it by default to invest in what remains possible: "
            "user reports that include the reported messages, detection on unencrypted "
            "surfaces such as profiles and groups, design that makes it harder for adults "
            "to contact children they do not know, and research on privacy-preserving "
            "methods, published and independently reviewed.")),
    DemoReport(
        slug="guidelines-for-industry-reporting-csam",
        title="Guidelines for industry on reporting child sexual abuse material",
        type="guidelines", published_on=date(2018, 6, 12),
        authors=("Industry working group of the " + COALITION, "Tomasz Kowalski",
                 "Mei Wang"),
        summary="Practical steps for online services of every size: how to receive reports "
                "from users, preserve evidence, report to the national hotline or the "
                "police, protect moderators, and support the children concerned.",
        tags=("industry", "child safety", "hotlines"), paragraphs=GUIDELINES),
    DemoReport(
        slug="submission-crc-general-comment-25",
        title="Submission to the UN Committee on the Rights of the Child on the draft "
              "General Comment No. 25 on children's rights in relation to the digital "
              "environment",
        type="submission", published_on=date(2020, 11, 13),
        authors=(COALITION,), label=None,
        external_url="https://dcos.example.org/submissions/crc-general-comment-25.pdf",
        summary="The coalition's comments on the Committee's draft: welcome for its "
                "balance of protection and participation, and proposals on age "
                "verification, education and the duties of businesses.",
        tags=("youth participation", "child safety", "education")),
)


def _at(day: date) -> datetime:
    return datetime.combine(day, time(9, 0), tzinfo=UTC)


def load(actor: Actor, fy_start_month: int = 1) -> list[Report]:
    """Create the demo reports with their PDFs (and one earlier version of a PDF)."""
    reports = []
    for item in REPORTS:
        first = item.earlier or item.paragraphs
        files = [FileInput(make_pdf(item.title, list(first)), f"{item.slug}.pdf", item.label)
                 ] if first else []
        report = services.create_report(actor, ReportInput(
            title=item.title, type=item.type, published_on=item.published_on,
            fiscal_year=item.fiscal_year, authors="\n".join(item.authors),
            summary=item.summary, language=item.language, tags=list(item.tags),
            external_url=item.external_url, slug=item.slug), files,
            visibility=item.visibility, fy_start_month=fy_start_month,
            now=_at(item.published_on))
        if item.earlier:
            services.replace_file(actor, report.current_files[0], FileInput(
                make_pdf(f"{item.title} (corrected edition)", list(item.paragraphs)),
                f"{item.slug}-corrected.pdf"), now=_at(item.published_on + timedelta(30)))
        reports.append(report)
    return reports
