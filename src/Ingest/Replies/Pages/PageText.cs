namespace NpsTriggers.Ingest.Replies.Pages;

/// <summary>
/// The page chrome in each language the pages speak (the survey's own question, labels and "why?" come from the
/// send rules' per-locale texts). Chosen from the invitation's locale, else the browser's Accept-Language, else English.
/// </summary>
public sealed record PageText(
    string Language,
    bool RightToLeft,
    string Title,
    string Recorded,
    string Changed,
    string Low,
    string High,
    string Why,
    string Consent,
    string Send,
    string ThanksTitle,
    string ThanksBody,
    string ClosedTitle,
    string ClosedBody,
    string InvalidTitle,
    string InvalidBody,
    string UnknownTitle,
    string UnknownBody,
    string ScoreMissing,
    string CommentTooLong,
    string UnsubscribeTitle,
    string UnsubscribeButton,
    string UnsubscribedTitle,
    string UnsubscribedBody,
    string ChangeUntil,
    string Confirm)
{
    public static readonly PageText English = new("en", false,
        "Your feedback", "Thank you! You answered {0} out of 10.", "We updated your answer to {0} out of 10.",
        "Not at all likely", "Extremely likely", "What is the main reason for your score?",
        "You may contact me about my answer.", "Send",
        "Thank you for your feedback", "Your answer has been recorded. You can close this page.",
        "This survey has closed", "Thank you for your interest; answers are no longer accepted.",
        "This link is not valid", "The link may have been cut or changed. Please use the link from your message.",
        "Unknown survey", "We could not find this survey.",
        "Please choose a score from 0 to 10.", "Please keep your comment under {0} characters.",
        "Stop these surveys?", "Unsubscribe", "You are unsubscribed", "We will not send you surveys at this address again.",
        "You can change your answer until {0}.",
        "Your score is selected. Press “Send” to record it.");

    private static readonly Dictionary<string, PageText> ByLanguage = new(StringComparer.OrdinalIgnoreCase)
    {
        ["en"] = English,
        ["de"] = new("de", false,
            "Ihre Meinung", "Danke! Sie haben {0} von 10 gewählt.", "Wir haben Ihre Antwort auf {0} von 10 geändert.",
            "Überhaupt nicht wahrscheinlich", "Äußerst wahrscheinlich", "Was ist der wichtigste Grund für Ihre Bewertung?",
            "Sie dürfen mich zu meiner Antwort kontaktieren.", "Senden",
            "Vielen Dank für Ihr Feedback", "Ihre Antwort wurde gespeichert. Sie können diese Seite schließen.",
            "Diese Umfrage ist beendet", "Danke für Ihr Interesse; es werden keine Antworten mehr angenommen.",
            "Dieser Link ist ungültig", "Der Link wurde vielleicht gekürzt oder verändert. Bitte nutzen Sie den Link aus Ihrer Nachricht.",
            "Unbekannte Umfrage", "Wir konnten diese Umfrage nicht finden.",
            "Bitte wählen Sie eine Bewertung von 0 bis 10.", "Bitte fassen Sie sich kürzer als {0} Zeichen.",
            "Keine Umfragen mehr?", "Abmelden", "Sie sind abgemeldet", "Wir senden Ihnen an diese Adresse keine Umfragen mehr.",
            "Sie können Ihre Antwort bis {0} ändern.",
            "Ihre Bewertung ist ausgewählt. Klicken Sie auf „Senden“, um sie zu speichern."),
        ["fr"] = new("fr", false,
            "Votre avis", "Merci ! Vous avez répondu {0} sur 10.", "Nous avons mis à jour votre réponse : {0} sur 10.",
            "Pas du tout probable", "Très probable", "Quelle est la principale raison de votre note ?",
            "Vous pouvez me contacter au sujet de ma réponse.", "Envoyer",
            "Merci pour votre avis", "Votre réponse a été enregistrée. Vous pouvez fermer cette page.",
            "Cette enquête est close", "Merci de votre intérêt ; les réponses ne sont plus acceptées.",
            "Ce lien n’est pas valide", "Le lien a peut-être été coupé ou modifié. Utilisez le lien de votre message.",
            "Enquête inconnue", "Nous n’avons pas trouvé cette enquête.",
            "Veuillez choisir une note de 0 à 10.", "Votre commentaire doit faire moins de {0} caractères.",
            "Ne plus recevoir ces enquêtes ?", "Se désabonner", "Vous êtes désabonné", "Nous n’enverrons plus d’enquêtes à cette adresse.",
            "Vous pouvez modifier votre réponse jusqu’au {0}.",
            "Votre note est sélectionnée. Appuyez sur « Envoyer » pour l’enregistrer."),
        ["es"] = new("es", false,
            "Su opinión", "¡Gracias! Ha respondido {0} de 10.", "Hemos actualizado su respuesta a {0} de 10.",
            "Nada probable", "Muy probable", "¿Cuál es el motivo principal de su puntuación?",
            "Pueden ponerse en contacto conmigo sobre mi respuesta.", "Enviar",
            "Gracias por su opinión", "Su respuesta se ha guardado. Puede cerrar esta página.",
            "Esta encuesta ha finalizado", "Gracias por su interés; ya no se aceptan respuestas.",
            "Este enlace no es válido", "Es posible que el enlace esté cortado o modificado. Use el enlace de su mensaje.",
            "Encuesta desconocida", "No hemos encontrado esta encuesta.",
            "Elija una puntuación de 0 a 10.", "Su comentario debe tener menos de {0} caracteres.",
            "¿Dejar de recibir encuestas?", "Darse de baja", "Se ha dado de baja", "No volveremos a enviarle encuestas a esta dirección.",
            "Puede cambiar su respuesta hasta el {0}.",
            "Su puntuación está seleccionada. Pulse «Enviar» para guardarla."),
        ["ar"] = new("ar", true,
            "رأيك", "شكرًا لك! لقد اخترت {0} من 10.", "حدّثنا إجابتك إلى {0} من 10.",
            "غير محتمل على الإطلاق", "محتمل جدًا", "ما السبب الرئيسي لتقييمك؟",
            "يمكنكم التواصل معي بخصوص إجابتي.", "إرسال",
            "شكرًا لك على ملاحظاتك", "تم تسجيل إجابتك. يمكنك إغلاق هذه الصفحة.",
            "انتهى هذا الاستطلاع", "شكرًا لاهتمامك؛ لم تعد الإجابات مقبولة.",
            "هذا الرابط غير صالح", "ربما تم قطع الرابط أو تغييره. يُرجى استخدام الرابط الموجود في رسالتك.",
            "استطلاع غير معروف", "لم نتمكن من العثور على هذا الاستطلاع.",
            "يُرجى اختيار تقييم من 0 إلى 10.", "يُرجى ألا يتجاوز تعليقك {0} حرفًا.",
            "إيقاف هذه الاستطلاعات؟", "إلغاء الاشتراك", "تم إلغاء اشتراكك", "لن نرسل إليك استطلاعات على هذا العنوان مرة أخرى.",
            "يمكنك تغيير إجابتك حتى {0}.",
            "تم تحديد تقييمك. اضغط على «إرسال» لتسجيله."),
    };

    public static IReadOnlyCollection<string> Languages => ByLanguage.Keys;

    /// <summary>The invitation's locale when we speak it, else the first Accept-Language we speak, else English.</summary>
    public static PageText For(string? locale, string? acceptLanguage)
    {
        if (Find(locale) is { } fromInvitation)
            return fromInvitation;
        foreach (var part in (acceptLanguage ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                     .Select(p => (Tag: p.Split(';')[0].Trim(), Q: Quality(p)))
                     .Where(p => p.Q > 0)
                     .OrderByDescending(p => p.Q))
            if (Find(part.Tag) is { } fromBrowser)
                return fromBrowser;
        return English;
    }

    private static PageText? Find(string? tag)
    {
        if (string.IsNullOrWhiteSpace(tag))
            return null;
        var dash = tag.IndexOf('-', StringComparison.Ordinal);
        return ByLanguage.GetValueOrDefault(dash > 0 ? tag[..dash] : tag);
    }

    private static double Quality(string part)
    {
        var q = part.Split(';').Skip(1).Select(p => p.Trim()).FirstOrDefault(p => p.StartsWith("q=", StringComparison.Ordinal));
        return q is not null && double.TryParse(q[2..], System.Globalization.CultureInfo.InvariantCulture, out var value) ? value : 1;
    }
}
