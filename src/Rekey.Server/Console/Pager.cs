using System.Globalization;

namespace Rekey.Server.Console;

/// <summary>
/// Numbered pages of a list whose store answers a total (the audit trail, API tokens, a delivery log): page
/// <see cref="Number"/> (from 1) of <see cref="Size"/> items, with links that keep the list's filters (<see cref="Url"/>
/// already carries them).
/// </summary>
public sealed record Pager(int Number, int Size, int Total, string Url)
{
    /// <summary>The highest page asked for: its first item's offset stays a small <see cref="int"/> for any page size.</summary>
    private const int MaxNumber = 1_000_000;

    public int Pages => Math.Max(1, (int)(((long)Total + Size - 1) / Size));

    /// <summary>The offset of the page's first item (the store's <c>start</c>).</summary>
    public int Start => (Number - 1) * Size;

    public string? Previous => Number > 1 ? Link(Math.Min(Number - 1, Pages)) : null;

    public string? Next => Number < Pages ? Link(Number + 1) : null;

    private string Link(int number) => Url + (Url.Contains('?', StringComparison.Ordinal) ? "&" : "?") + "page=" + number.ToString(CultureInfo.InvariantCulture);

    /// <summary>The page a query string asks for: 1 for none, or for anything that is not a page number.</summary>
    public static int NumberOf(string? page) =>
        int.TryParse(page, NumberStyles.None, CultureInfo.InvariantCulture, out var number) && number is >= 1 and <= MaxNumber ? number : 1;
}
