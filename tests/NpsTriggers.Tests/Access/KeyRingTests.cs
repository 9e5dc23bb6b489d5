using NpsTriggers.Core.Access;
using NpsTriggers.Ingest.Access;

namespace NpsTriggers.Tests.Access;

public sealed class KeyRingTests
{
    private const string Admin = "admin-key-0123456789abcdefghijklmnop";
    private const string Shared = "shared-key-0123456789abcdefghijklmno";

    private static readonly KeyRing Ring = new([
        new KeySource(KeyPolicies.Admin, () => [Admin, Shared]),
        new KeySource(KeyPolicies.Integration, () => [Shared]),
        new KeySource(KeyPolicies.Events, () => [])]);

    [Fact]
    public void RolesOf_AConfiguredKey_IsItsPolicy() =>
        Ring.RolesOf(KeyRing.Digest(Admin)).ShouldBe(["admin"]);

    [Fact]
    public void RolesOf_AKeyListedInTwoSections_HasBothPolicies() =>
        Ring.RolesOf(KeyRing.Digest(Shared)).ShouldBe(["admin", "integration"]);

    [Theory]
    [InlineData("admin-key-0123456789abcdefghijklmno")]   // one character short
    [InlineData("admin-key-0123456789abcdefghijklmnopq")] // one character more
    [InlineData("ADMIN-KEY-0123456789ABCDEFGHIJKLMNOP")]
    [InlineData("")]
    public void RolesOf_AnyOtherKey_MatchesNothing(string presented) =>
        Ring.RolesOf(KeyRing.Digest(presented)).ShouldBeEmpty();

    [Fact]
    public void HasKeys_APolicyWithoutKeys_IsFalse()
    {
        Ring.HasKeys("admin").ShouldBeTrue();
        Ring.HasKeys("events").ShouldBeFalse();
    }

    [Fact]
    public void Validate_AKeyShorterThan32Characters_NamesTheSettingButNotTheKey()
    {
        var problems = new AdminOptions { ApiKeys = ["secret-but-too-short"] }.Validate(new(new object())).ToList();
        problems.Single().ErrorMessage!.ShouldContain("Admin:ApiKeys must each be at least 32 characters");
        problems.Single().ErrorMessage!.ShouldNotContain("secret-but-too-short");
    }
}
