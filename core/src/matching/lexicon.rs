//! Header titles that mean a standard attribute, in English, German, French, Spanish,
//! Portuguese and Dutch, already in [`normalize`](super::normalize)d form, and the words
//! that turn a header into something else ("Manager email" is not the recipient's email).

/// Titles per standard attribute key.
pub(crate) const ALIASES: &[(&str, &[&str])] = &[
    ("name", &[
        "name", "full name", "fullname", "recipient", "recipient name", "student name", "participant",
        "participant name", "attendee name", "learner name", "earner name", "awardee", "awardee name",
        "user name original name", "name original name", "display name", "name on certificate",
        "certificate name", "holder name", "employee name", "member name", "delegate name", "trainee name",
        "student", "learner", "attendee", "trainee",
        // de
        "vollstandiger name", "vor und nachname", "teilnehmer", "teilnehmername", "teilnehmer name",
        "name des teilnehmers", "empfanger", "empfangername", "mitarbeitername",
        // fr
        "nom complet", "nom et prenom", "nom prenom", "prenom nom", "prenom et nom", "apprenant", "stagiaire",
        "beneficiaire", "nom du participant", "titulaire", "nom du titulaire",
        // es
        "nombre completo", "nombre y apellidos", "nombre y apellido", "alumno", "estudiante",
        "nombre del participante", "destinatario", "participante",
        // pt
        "nome completo", "aluno", "formando", "nome do participante", "nome do aluno",
        // nl
        "volledige naam", "naam", "deelnemer", "cursist", "naam deelnemer", "ontvanger",
    ]),
    ("first_name", &[
        "first name", "firstname", "given name", "given names", "forename", "first", "fname",
        "vorname", "vornamen", "prenom", "prenoms", "nombre", "nombres", "nome", "primeiro nome", "prenome",
        "voornaam", "voornamen", "roepnaam",
    ]),
    ("last_name", &[
        "last name", "lastname", "surname", "family name", "last", "lname",
        "nachname", "familienname", "zuname", "nom", "nom de famille", "apellido", "apellidos",
        "primer apellido", "sobrenome", "apelido", "ultimo nome", "achternaam", "familienaam",
    ]),
    ("email", &[
        "email", "email address", "emailaddress", "mail", "mail address", "email id", "email addr",
        "recipient email", "student email", "participant email", "attendee email", "learner email",
        "user email", "work email", "contact email", "business email",
        // de
        "email adresse", "emailadresse", "mail adresse", "mailadresse",
        // fr
        "courriel", "adresse courriel", "adresse email", "adresse mail", "adresse electronique", "mel",
        // es
        "correo", "correo electronico", "direccion de correo", "direccion de correo electronico",
        "direccion de email", "correo del participante",
        // pt
        "endereco de email", "endereco de e mail", "correio eletronico", "endereco eletronico",
        // nl
        "emailadres", "email adres", "mailadres",
    ]),
    ("issued_on", &[
        "issued on", "issue date", "date issued", "issued", "date of issue", "issuance date", "issued date",
        "award date", "awarded on", "date awarded", "awarded", "completion date", "completed on",
        "date completed", "date of completion", "certificate date", "certification date", "graduation date",
        "earned on", "date earned",
        // de
        "ausstellungsdatum", "ausgestellt am", "abschlussdatum", "verleihungsdatum", "ausgabedatum",
        "datum der ausstellung",
        // fr
        "date de delivrance", "date d emission", "date de remise", "delivre le", "date d obtention",
        "date de certification",
        // es
        "fecha de emision", "fecha emision", "fecha de expedicion", "fecha de finalizacion",
        "fecha de otorgamiento", "fecha de certificacion",
        // pt
        "data de emissao", "data emissao", "data de conclusao", "emitido em", "data de certificacao",
        // nl
        "uitgiftedatum", "datum van uitgifte", "afgiftedatum", "uitgegeven op", "behaald op", "datum behaald",
    ]),
    ("expires_on", &[
        "expires on", "expiry date", "expiration date", "expiry", "expires", "valid until", "valid to",
        "expiration", "expire date", "valid through", "valid thru", "expiry on", "date of expiry",
        // de
        "gultig bis", "ablaufdatum", "verfallsdatum", "gultigkeit", "gultig bis zum", "ablauf",
        // fr
        "date d expiration", "expire le", "valable jusqu au", "valide jusqu au", "date de fin de validite",
        // es
        "fecha de vencimiento", "fecha de caducidad", "vence", "valido hasta", "fecha de expiracion",
        "vencimiento",
        // pt
        "validade", "data de validade", "valido ate", "data de expiracao", "expira em",
        // nl
        "geldig tot", "vervaldatum", "verloopdatum", "geldig tot en met", "geldig t m",
    ]),
    ("credential_id", &[
        "credential id", "certificate id", "certificate number", "certificate no", "cert id",
        "credential number", "badge id", "certificate code", "credential code",
        "zertifikatsnummer", "zertifikat id", "urkundennummer", "numero de certificat",
        "identifiant du certificat", "numero de certificado", "id del certificado", "codigo de certificado",
        "numero do certificado", "codigo do certificado", "certificaatnummer",
    ]),
];

/// Words naming someone or something other than the recipient, or another event than the
/// award: a header containing one is never matched by similarity or content, only by an
/// exact title or alias.
pub(crate) const VETO_WORDS: &[&str] = &[
    "manager", "supervisor", "buyer", "purchaser", "billing", "invoice", "parent", "guardian",
    "emergency", "secondary", "alternate", "alternative", "consent", "opt", "optin", "marketing",
    "newsletter", "subscribe", "subscribed", "unsubscribe", "unsubscribed", "bounce", "bounced",
    "registration", "registered", "signup", "created", "updated", "modified", "order", "ordered",
    "join", "joined", "leave", "birth", "dob", "birthday", "phone", "company", "organization",
    "organisation", "department", "institution", "instructor", "teacher", "trainer", "coach",
    "referrer", "referral", "sponsor", "host", "owner", "boss", "mentor", "contact person",
    "vorgesetzter", "vorgesetzte", "fuhrungskraft", "einwilligung", "bestellung", "bestelldatum",
    "anmeldung", "anmeldedatum", "geburtsdatum", "geburtstag", "chef", "responsable", "gestionnaire",
    "consentement", "commande", "inscription", "naissance", "jefe", "gerente", "consentimiento",
    "pedido", "inscripcion", "nacimiento", "gestor", "consentimento", "encomenda", "inscricao",
    "nascimento", "leidinggevende", "toestemming", "bestelling", "registratie", "aanmelding",
    "geboortedatum", "last login", "login time", "time",
];

/// Role words that often precede a title without changing it: "Student Email Address".
pub(crate) const ROLE_PREFIXES: &[&str] = &[
    "student", "participant", "attendee", "learner", "recipient", "user", "member", "employee",
    "delegate", "trainee", "earner", "candidate", "teilnehmer", "participante", "deelnemer",
];

/// Whether a normalised header contains a veto word (as a whole word or phrase).
pub(crate) fn has_veto(normalized: &str) -> bool {
    let padded = format!(" {normalized} ");
    VETO_WORDS.iter().any(|w| padded.contains(&format!(" {w} ")))
}
