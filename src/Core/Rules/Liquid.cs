using System.Globalization;
using Fluid;
using Fluid.Filters;
using Fluid.Values;

namespace NpsTriggers.Core.Rules;

/// <summary>
/// The one Liquid parser and option set every survey text shares. Both are immutable after construction, so they are
/// safe across threads; templates are parsed once when the rules load, never per send.
/// </summary>
internal static class Liquid
{
    public static readonly FluidParser Parser = new();

    public static readonly TemplateOptions Options = new TemplateOptionsBuilder()
        // Fluid's own `date` keeps the offset a timestamp was written with (events carry UTC); a survey text means the
        // recipient's wall clock, so convert into the context's zone first and let Fluid format in the context's culture.
        .AddFilter("date", LocalDate)
        // A text is a sentence or two; a runaway loop in a rules file must fail its send, not spin a dispatch worker.
        .WithMaxSteps(10_000)
        .Build();

    private static ValueTask<FluidValue> LocalDate(FluidValue input, FilterArguments arguments, TemplateContext context)
    {
        if (input.TryGetDateTimeInput(context, out var instant))
            input = DateTimeValue.Create(TimeZoneInfo.ConvertTime(instant, context.TimeZone));
        if (context is not RecipientContext recipient)
            return MiscFilters.Date(input, arguments, context);
        // Day and month names in the recipient's language; the context's own culture stays invariant (see RecipientContext).
        // Fluid formats synchronously, so the swap cannot leak into another filter.
        context.CultureInfo = recipient.Language;
        try
        {
            return MiscFilters.Date(input, arguments, context);
        }
        finally
        {
            context.CultureInfo = CultureInfo.InvariantCulture;
        }
    }
}

/// <summary>
/// A render's context. Its culture stays invariant so numbers print the same for everyone (<c>42.5</c>, for a German
/// reader too, as the texts always did); only <c>date</c> speaks the recipient's <see cref="Language"/>.
/// </summary>
internal sealed class RecipientContext(CultureInfo language) : TemplateContext(Liquid.Options)
{
    public CultureInfo Language { get; } = language;
}
