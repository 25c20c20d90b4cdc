using Rekey.Contracts;

namespace Rekey.Server.Http;

/// <summary>Authlete's paging: <c>start</c> inclusive (default 0), <c>end</c> exclusive (default 5), at most 1000 per page.</summary>
internal readonly record struct Paging(int Start, int End)
{
    public const int MaxPageSize = 1000;

    public static Outcome<Paging> From(HttpRequest request)
    {
        var start = 0;
        var end = 5;
        if (request.Query.TryGetValue("start", out var s) && !TryParse(s, out start))
        {
            return RuleViolation.Of(ResultCodes.InvalidQueryParameter, "start", int.MaxValue);
        }

        if (!request.Query.TryGetValue("end", out var e))
        {
            // The default end (5) below a given start is an empty range, not an error the caller did not make,
            // and never a negative page size (which a store would read as LIMIT -1: no limit at all).
            end = Math.Max(end, start);
        }
        else if (!TryParse(e, out end) || end < start)
        {
            return RuleViolation.Of(ResultCodes.InvalidQueryParameter, "end", int.MaxValue);
        }

        return new Paging(start, (int)Math.Min(end, (long)start + MaxPageSize));
    }

    private static bool TryParse(string? text, out int value) => int.TryParse(text, System.Globalization.NumberStyles.None, null, out value);
}
