using NpsTriggers.Core.Rules;
using NpsTriggers.Dispatch.Scheduling;

namespace NpsTriggers.Tests.Rules;

public sealed class ThrottleTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 23, 9, 0, 0, TimeSpan.Zero);

    private static readonly SendRules Rules = SendRulesLoader.Parse("""
        version: 1
        throttle:
          global: 30d
          survey: 90d
          groups:
            service: { surveys: [support, returns], period: 60d }
        surveys:
          delivery: { subject: S, question: Q, recontact: 120d }
          support: { subject: S, question: Q }
          returns: { subject: S, question: Q }
        rules: []
        """, "t.yaml");

    private static (Guid, string, DateTimeOffset) Contact(string survey, int daysAgo) => (Guid.NewGuid(), survey, Now.AddDays(-daysAgo));

    [Fact]
    public void Evaluate_NoHistory_LetsTheSendGo() => ThrottleGate.Evaluate("delivery", [], Rules, Now).ShouldBeNull();

    [Fact]
    public void Evaluate_SameSurveyWithinItsOwnRecontact_IsThrottledBySurveyScope() =>
        ThrottleGate.Evaluate("delivery", [Contact("delivery", 100)], Rules, Now)!.Scope.ShouldBe("survey 'delivery' (120 days)");

    [Fact]
    public void Evaluate_SameSurveyPastItsRecontact_IsAllowed() =>
        ThrottleGate.Evaluate("support", [Contact("support", 91)], Rules, Now).ShouldBeNull();

    [Fact]
    public void Evaluate_OtherSurveyOfTheGroup_IsThrottledByGroupScope()
    {
        var verdict = ThrottleGate.Evaluate("returns", [Contact("support", 45)], Rules, Now)!;
        verdict.Scope.ShouldBe("group 'service' (60 days)");
        verdict.Until.ShouldBe(Now.AddDays(15));
    }

    [Fact]
    public void Evaluate_AnySurveyWithinGlobal_IsThrottledByGlobalScope() =>
        ThrottleGate.Evaluate("delivery", [Contact("support", 10)], Rules, Now)!.Scope.ShouldBe("global (30 days)");

    [Fact]
    public void Evaluate_SeveralScopesViolated_ReportsSurveyBeforeGroupBeforeGlobal()
    {
        var history = new[] { Contact("returns", 5), Contact("support", 20) };
        ThrottleGate.Evaluate("support", history, Rules, Now)!.ShouldSatisfyAllConditions(
            v => v.Scope.ShouldBe("survey 'support' (90 days)"),
            v => v.ContactedAt.ShouldBe(Now.AddDays(-20)));
        ThrottleGate.Evaluate("returns", [Contact("support", 20), Contact("delivery", 3)], Rules, Now)!.Scope.ShouldBe("group 'service' (60 days)");
    }
}
