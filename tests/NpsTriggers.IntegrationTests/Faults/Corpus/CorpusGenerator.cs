using System.Globalization;
using System.Text;
using FsCheck;
using FsCheck.Fluent;

namespace NpsTriggers.IntegrationTests.Faults.Corpus;

/// <summary>
/// A seeded FsCheck generator of CloudEvents as other teams' producers send them: most valid (any RFC 3339 offset,
/// every script, emoji, combining marks, right-to-left text, huge and tiny numbers, deep nesting, repeated ids), the
/// rest broken in one known way each. The expectation of each comes from the contract, not from the service's code.
/// </summary>
internal static class CorpusGenerator
{
    /// <summary>The rules the corpus runs against: every kind of rule feature the reader and planner touch.</summary>
    public const string Rules = """
        version: 1
        surveys:
          delivery: { subject: '{{ recipient.name | default: "Hello" }}, how was order {{ data.orderId }}?', question: How likely are you to recommend us? }
          support: { subject: How did we do?, question: How likely are you to recommend our support? }
        rules:
          - name: delivered
            on: order.delivered
            survey: delivery
            delay: 14d
            delayFrom: data.deliveredAt
            keep: [orderId, product, amount, store]
            window: { days: Mon-Fri, from: "09:00", to: "18:00", timeZone: Europe/London }
            cancelOn: [{ on: order.returned, match: orderId }]
          - name: support
            on: ticket.closed
            survey: support
            delay: 1h
            channel: preferred
            keep: [ticketId, agent]
            when: { field: data.agent, exists: true }
        """;

    public const string Source = "/corpus";

    // Real-world text: names and products as customers in China, the Philippines, the Gulf, Israel, India, Vietnam,
    // Greece, Poland and elsewhere write them, with combining marks, emoji sequences, astral letters and bidi marks.
    private static readonly string[] Texts =
    [
        "Anna", "王小明", "李华 (Li Hua)", "陳大文", "محمد عبد الله", "فاطمة الزهراء", "שרה כהן", "Juan dela Cruz", "Maria Clara Santos",
        "Nguyễn Văn An", "अनिल कुमार", "ฟ้า ใส", "Σωκράτης", "Łukasz Żółć", "Zoë Ångström", "e\u0301milie", "José", "Ölçü Güneş",
        "👩🏽‍💻 Dev", "🇵🇭 Salamat po!", "𝔘𝔫𝔦𝔠𝔬𝔡𝔢", "\u200fمرحبا\u200e ok", "Tab\there", "line\nbreak", "quote\"s", "back\\slash",
        "ﷺ", "Trail shoes 登山鞋", "سماعات لاسلكية", "Bluetooth speaker – 2. Gen.", "", "   ",
    ];

    private static readonly string[] Emails = ["anna@example.com", "Anna.Smith+nps@Example.COM", "josé@example.org", "王@example.cn", "o'brien@example.ie"];
    private static readonly string[] Phones = ["+8613800138000", "+639171234567", "+971501234567", "+447700900123"];
    private static readonly string?[] Locales = ["en-GB", "zh-CN", "zh-TW", "fil-PH", "ar-AE", "he-IL", "ja-JP", "de-DE", null];
    private static readonly string?[] Zones = ["Asia/Shanghai", "Asia/Manila", "Asia/Dubai", "America/Sao_Paulo", "Europe/London", "Pacific/Kiritimati", null];
    private static readonly string[] Amounts = ["89.9", "0", "-0", "1e400", "1e-400", "12345678901234567890123456789012345", "2.5E+3", "0.000000000000000000000000001", "-7.25e-12"];
    private static readonly string[] BadTimes =
        ["yesterday", "2026-11-01", "2026-11-01T10:00:00", "0000-01-01T00:00:00Z", "2026-13-01T00:00:00Z", "2026-11-01T10:00:00.Z", "0001-01-01T00:00:00+08:00", "2026-11-01 10:00:00Z"];

    private static readonly (string Name, int Weight)[] Mutations =
    [
        ("none", 40), ("arbitrary-text", 8), ("duplicate", 6), ("nul-in-name", 3), ("lone-surrogate-in-product", 3), ("nul-in-id", 2),
        ("oversize-id", 2), ("oversize-order-id", 2), ("bad-time", 3), ("far-future", 2), ("huge-kept-number", 2), ("deep-nesting", 2),
        ("no-contact", 2), ("bad-email", 2), ("bad-zone", 2), ("old-spec", 1), ("missing-id", 1), ("truncated", 2), ("invalid-utf8", 2),
        ("bad-id-header", 1), ("garbage", 2),
    ];

    private sealed record Draft(
        Binding Binding, string Type, string? Time, string Name, string Product, string Store, int Contact, string Email, string Phone,
        string? Locale, string? Zone, string Amount, int OrderIdKind, int Depth, string? DeliveredAt, string Mutation, int Pick, string Arbitrary,
        string BadTime, byte[] Garbage);

    public static IReadOnlyList<CorpusEvent> Generate(ulong seed, int count)
    {
        var drafts = DraftGen().Sample(count, new Rnd(seed), 30);
        var events = new List<CorpusEvent>(count);
        for (var i = 0; i < drafts.Length; i++)
            events.Add(Build(i, drafts[i], events));
        return events;
    }

    private static Gen<string> TimeGen() =>
        from year in Gen.Choose(2020, 2030)
        from month in Gen.Choose(1, 12)
        from day in Gen.Choose(1, 28)
        from hour in Gen.Choose(0, 23)
        from minute in Gen.Choose(0, 59)
        from second in Gen.Frequency((30, Gen.Choose(0, 59)), (1, Gen.Constant(60)))
        from digits in Gen.Choose(0, 9)
        from fraction in Gen.Choose(0, 999_999_999)
        from offset in Gen.Choose(-(23 * 60 + 59), 23 * 60 + 59)
        from zone in Gen.Elements("Z", "z", "offset", "offset", "offset")
        from t in Gen.Elements('T', 'T', 't')
        select string.Create(CultureInfo.InvariantCulture,
            $"{year:D4}-{month:D2}-{day:D2}{t}{hour:D2}:{minute:D2}:{second:D2}{Fraction(digits, fraction)}{Offset(zone, offset)}");

    private static string Offset(string zone, int minutes) => zone == "offset"
        ? string.Create(CultureInfo.InvariantCulture, $"{(minutes < 0 ? '-' : '+')}{Math.Abs(minutes) / 60:D2}:{Math.Abs(minutes) % 60:D2}")
        : zone;

    private static string Fraction(int digits, int fraction) =>
        digits == 0 ? "" : "." + fraction.ToString("D9", CultureInfo.InvariantCulture)[..digits];

    private static Gen<Draft> DraftGen()
    {
        var text = Gen.Elements(Texts);
        var arbitrary = ArbMap.Default.GeneratorFor<string>().Where(s => s is not null);
        var parts =
            from binding in Gen.Frequency((40, Gen.Constant(Binding.KafkaBinary)), (35, Gen.Constant(Binding.KafkaStructured)), (25, Gen.Constant(Binding.Http)))
            from type in Gen.Frequency((6, Gen.Constant("order.delivered")), (2, Gen.Constant("ticket.closed")), (1, Gen.Constant("order.returned")), (1, Gen.Constant("corpus.ignored")))
            from time in Gen.Frequency((9, TimeGen().Select(t => (string?)t)), (1, Gen.Constant((string?)null)))
            from name in text
            from product in text
            from store in text
            from contact in Gen.Choose(0, 2)
            from email in Gen.Elements(Emails)
            from phone in Gen.Elements(Phones)
            select (binding, type, time, name, product, store, contact, email, phone);
        return
            from p in parts
            from locale in Gen.Elements(Locales)
            from zone in Gen.Elements(Zones)
            from amount in Gen.Elements(Amounts)
            from orderIdKind in Gen.Choose(0, 3)
            from depth in Gen.Choose(0, 20)
            from deliveredAt in Gen.Frequency((3, TimeGen().Select(t => (string?)t)), (1, Gen.Constant((string?)"soon")), (2, Gen.Constant((string?)null)))
            from mutation in Gen.Frequency(Mutations.Select(m => (m.Weight, Gen.Constant(m.Name))).ToArray())
            from pick in Gen.Choose(0, int.MaxValue)
            from arbitraryText in arbitrary
            from badTime in Gen.Elements(BadTimes)
            from garbage in ArbMap.Default.GeneratorFor<byte[]>()
            select new Draft(p.binding, p.type, p.time, p.name, p.product, p.store, p.contact, p.email, p.phone, locale, zone, amount, orderIdKind, depth,
                deliveredAt, mutation, pick, arbitraryText, badTime, garbage);
    }

    private static CorpusEvent Build(int index, Draft d, List<CorpusEvent> earlier)
    {
        var mutation = d.Mutation;
        // Kafka-only breakages: an HTTP body that is not JSON is refused whole, before any event is read.
        if (d.Binding == Binding.Http && mutation is "truncated" or "invalid-utf8" or "bad-id-header" or "garbage")
            mutation = "none";
        if (d.Binding == Binding.KafkaStructured && mutation == "bad-id-header")
            mutation = "none";
        var (type, time, name, product, email, zone, amount, depth, deliveredAt) = (d.Type, d.Time, d.Name, d.Product, d.Email, d.Zone, d.Amount, d.Depth, d.DeliveredAt);
        string? spec = "1.0";
        string? id = $"c-{index}";
        var orderId = d.OrderIdKind switch
        {
            0 => Json.String($"O-{index}"),
            1 => (index * 7919).ToString(CultureInfo.InvariantCulture),
            2 => $"{{\"shop\":\"web\",\"n\":{index}}}",
            _ => Json.String($"注文-{index}"),
        };
        var expect = type == "corpus.ignored" ? Expect.Skipped : Expect.Stored;
        string? reason = null;
        void Refuse(string why)
        {
            expect = Expect.DeadLettered;
            reason = why;
        }
        // Whether a rule gets as far as planning an invitation, where the send time, the correlation and the kept values
        // are worked out: the delivery rule sends by email (a phone-only person is no_contact), the support rule only
        // when data.agent exists (every third event has none).
        var contact = d.Contact;
        bool Invites() => type == "order.delivered" ? contact is 0 or 2 : type == "ticket.closed" && index % 3 != 0;
        switch (mutation)
        {
            case "arbitrary-text":
                name = d.Arbitrary;
                if (!Json.Storable(name))
                    Refuse("data.recipient.name contains ");
                break;
            case "duplicate" when index > 0:
                id = earlier[d.Pick % index].Id ?? id;
                if (!Json.Storable(id) || Encoding.UTF8.GetByteCount(id) > 512)
                    Refuse("");
                break;
            case "nul-in-name":
                name = "An\0na";
                Refuse("data.recipient.name contains U+0000");
                break;
            case "lone-surrogate-in-product":
                product = "x\ud83d";
                Refuse("data.product contains an unpaired surrogate");
                break;
            case "nul-in-id":
                id += "\0";
                Refuse("U+0000");
                break;
            case "oversize-id":
                id = new string('x', 600);
                Refuse("is 600 bytes long, over the 512-byte limit");
                break;
            case "oversize-order-id":
                orderId = Json.String(new string('o', 600));
                if (type == "order.returned" || type == "order.delivered" && Invites())
                    Refuse("bytes long, over the 512-byte limit");
                break;
            case "bad-time":
                time = d.BadTime;
                Refuse("time '");
                break;
            case "far-future":
                // Counted from the event's time (no delivery time to count from): past the year 9999 once delayed.
                time = "9999-12-30T00:00:00Z";
                deliveredAt = null;
                if (Invites())
                    Refuse("the send time overflows");
                break;
            case "huge-kept-number":
                amount = "1e200000";
                if (type == "order.delivered" && Invites())
                    Refuse("data.amount the number 1e200000 is out of the range PostgreSQL can store");
                break;
            case "deep-nesting":
                depth = 40;
                Refuse("not valid JSON");
                break;
            case "no-contact":
                contact = -1;
                Refuse("no usable contact");
                break;
            case "bad-email":
                email = "anna at example";
                contact = 0;
                Refuse("is not an address");
                break;
            case "bad-zone":
                zone = "Mars/Olympus";
                Refuse("is not a known IANA time zone");
                break;
            case "old-spec":
                spec = "0.3";
                Refuse("specversion '0.3' is not supported");
                break;
            case "missing-id":
                id = null;
                Refuse("missing CloudEvents attribute 'id'");
                break;
            case "truncated" or "invalid-utf8" or "garbage" or "bad-id-header":
                Refuse(mutation == "bad-id-header" ? "header ce_id is not UTF-8" : "");
                break;
        }
        var data = Data(name, product, d.Store, contact, email, d.Phone, d.Locale, zone, amount, orderId, depth, deliveredAt, index);
        var e = new CorpusEvent(index, d.Binding, spec, id, Source, type, time, data, mutation, expect, reason);
        var wire = Encoding.UTF8.GetBytes(d.Binding == Binding.KafkaBinary ? data : e.Envelope());
        return mutation switch
        {
            "truncated" => e with { RawValue = wire[..(wire.Length / 2)] },
            "invalid-utf8" => e with { RawValue = [.. wire[..(wire.Length / 3)], 0xFF, .. wire[(wire.Length / 3)..]] },
            "garbage" => e with { RawValue = d.Garbage.Length == 0 ? [0x7B] : d.Garbage },
            "bad-id-header" => e with { RawIdHeader = [0x63, 0x2D, 0xFF] },
            _ => e,
        };
    }

    private static string Data(string name, string product, string store, int contact, string email, string phone, string? locale, string? zone,
        string amount, string orderId, int depth, string? deliveredAt, int index)
    {
        var recipient = new StringBuilder("{\"customerId\":").Append(Json.String($"cust-{index % 97}"));
        if (contact is 0 or 2)
            recipient.Append(",\"email\":").Append(Json.String(email));
        if (contact is 1 or 2)
            recipient.Append(",\"phone\":").Append(Json.String(phone));
        recipient.Append(",\"name\":").Append(Json.String(name));
        if (locale is not null)
            recipient.Append(",\"locale\":").Append(Json.String(locale));
        if (zone is not null)
            recipient.Append(",\"timeZone\":").Append(Json.String(zone));
        recipient.Append('}');
        var nested = new StringBuilder();
        for (var level = 0; level < depth; level++)
            nested.Append("{\"").Append(Texts[level % 3]).Append("\":");
        nested.Append("[1,\"leaf\",null,true]").Append('}', depth);
        var data = new StringBuilder("{\"recipient\":").Append(recipient)
            .Append(",\"orderId\":").Append(orderId)
            .Append(",\"product\":").Append(Json.String(product))
            .Append(",\"store\":").Append(Json.String(store))
            .Append(",\"amount\":").Append(amount)
            .Append(",\"ticketId\":").Append(Json.String($"T-{index}"))
            .Append(",\"extra\":").Append(nested);
        if (index % 3 != 0)
            data.Append(",\"agent\":").Append(Json.String(name));
        if (deliveredAt is not null)
            data.Append(",\"deliveredAt\":").Append(Json.String(deliveredAt));
        return data.Append('}').ToString();
    }
}
