using NpsTriggers.Dispatch.Sms;

namespace NpsTriggers.Tests.Sms;

public sealed class SmsTextTests
{
    // Real survey wording, repeated and cut to the length under test (every character is one UTF-16 unit).
    private static string Chinese(int length) => Cut("请问您有多大可能向朋友或同事推荐我们？请回复零到十。", length);
    private static string Arabic(int length) => Cut("ما مدى احتمال أن توصي بنا لصديق أو زميل؟ ", length);
    private static string Japanese(int length) => Cut("当店を友人や同僚に薦める可能性はどのくらいですか？", length);

    private static string Cut(string sentence, int length) => string.Concat(Enumerable.Repeat(sentence, length / sentence.Length + 1))[..length];

    [Theory]
    [InlineData(70, 1)]
    [InlineData(71, 2)]
    [InlineData(134, 2)]
    [InlineData(135, 3)]
    [InlineData(201, 3)]
    [InlineData(202, 4)]
    public void Segments_ChineseArabicJapanese_Count70ThenSixtySevenPerPart(int length, int segments)
    {
        SmsText.Segments(Chinese(length)).ShouldBe((segments, "UCS-2"));
        SmsText.Segments(Arabic(length)).ShouldBe((segments, "UCS-2"));
        SmsText.Segments(Japanese(length)).ShouldBe((segments, "UCS-2"));
    }

    [Theory]
    [InlineData(68, 1)] // 66 letters + one emoji (two units) = 68 units
    [InlineData(70, 1)]
    [InlineData(71, 2)]
    public void Segments_Emoji_CountsTwoUnits(int units, int segments) =>
        SmsText.Segments(new string('a', units - 2) + "👍").ShouldBe((segments, "UCS-2"));

    [Fact]
    public void Segments_SurrogatePairAtAPartBoundary_MovesWholeToTheNextPart()
    {
        // 134 units would fill exactly two parts, but the emoji at units 67-68 cannot be split: 66 | 2 + 65 | 1.
        SmsText.Segments(new string('ж', 66) + "👍" + new string('ж', 66)).ShouldBe((3, "UCS-2"));
        SmsText.Segments(new string('ж', 67) + "👍" + new string('ж', 65)).ShouldBe((2, "UCS-2"));
    }

    [Fact]
    public void Segments_GsmExtensionCharacterAtAPartBoundary_IsNotSplit()
    {
        // 306 septets would fill exactly two parts, but € (escape + code) cannot straddle them: 152 | 2 + 151 | 1.
        SmsText.Segments(new string('a', 152) + "€" + new string('a', 152)).ShouldBe((3, "GSM-7"));
        SmsText.Segments(new string('a', 153) + "€" + new string('a', 151)).ShouldBe((2, "GSM-7"));
        SmsText.Segments(new string('a', 158) + "€").ShouldBe((1, "GSM-7"));
        SmsText.Segments(new string('a', 159) + "€").ShouldBe((2, "GSM-7"));
    }
}
