using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Rekey.Contracts;

namespace Rekey.Tests.Docs;

/// <summary>
/// <c>docs/result-codes.md</c> and <see cref="ResultCodes.All"/> say the same thing, in the same order. With
/// <c>REKEY_UPDATE_DOCS=1</c> the test rewrites the document's table from the catalogue instead of checking it.
/// </summary>
public sealed partial class ResultCodesDocumentTests
{
    public const string Header = "| Code | HTTP | Meaning |";
    private const string Separator = "| --- | --- | --- |";

    public sealed record Row(string Code, int Http, string Meaning);

    // ---- the document ------------------------------------------------------------------------------

    [Fact]
    public void the_document_lists_exactly_the_result_code_catalogue()
    {
        if (Environment.GetEnvironmentVariable("REKEY_UPDATE_DOCS") == "1")
        {
            var root = Repository.Root;
            var target = Path.Combine(root, "docs", "result-codes.md");
            File.WriteAllText(target, Rewrite(File.ReadAllText(target, Encoding.UTF8), ResultCodes.All), new UTF8Encoding(false));
            return;
        }

        var path = DocumentPath();
        var differences = Differences(File.ReadAllText(path, Encoding.UTF8), ResultCodes.All);

        Assert.True(differences.Count == 0,
            $"{path} disagrees with ResultCodes.All:\n  " + string.Join("\n  ", differences) +
            "\nRewrite the table with: REKEY_UPDATE_DOCS=1 dotnet test --filter \"FullyQualifiedName~ResultCodesDocumentTests\"");
    }

    /// <summary>The source file when the repository is there (so an update lands in it), else the copy in the output.</summary>
    private static string DocumentPath() =>
        Repository.FindRoot() is { } root
            ? Path.Combine(root, "docs", "result-codes.md")
            : Path.Combine(AppContext.BaseDirectory, "docs", "result-codes.md");

    // ---- table: render, parse, compare, rewrite ----------------------------------------------------

    public static string Render(IEnumerable<ResultCode> codes)
    {
        var table = new StringBuilder().Append(Header).Append('\n').Append(Separator).Append('\n');
        foreach (var code in codes)
        {
            table.Append(CultureInfo.InvariantCulture, $"| {code.Code} | {code.HttpStatus} | {Escape(code.Template)} |\n");
        }

        return table.ToString();
    }

    private static string Escape(string text) => text.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("|", "\\|", StringComparison.Ordinal);

    [GeneratedRegex(@"^\|\s*`?(?<code>[^|`\s]*)`?\s*\|\s*(?<http>[^|\s]*)\s*\|\s*(?<meaning>(?:\\.|[^|\\])*?)\s*\|\s*$")]
    private static partial Regex RowPattern();

    [GeneratedRegex(@"\\(.)")]
    private static partial Regex EscapedCharacter();

    /// <summary>The table's line range (header to last row, end exclusive), or <see langword="null"/> when there is none.</summary>
    private static (int Start, int End)? FindTable(IReadOnlyList<string> lines)
    {
        var start = lines.ToList().FindIndex(l => l.Trim() == Header);
        if (start < 0)
        {
            return null;
        }

        var end = start + 1;
        while (end < lines.Count && lines[end].TrimStart().StartsWith('|'))
        {
            end++;
        }

        return (start, end);
    }

    /// <summary>The rows of the table; a line that is not a well-formed row is reported in <paramref name="problems"/>.</summary>
    public static List<Row> Parse(string markdown, List<string> problems)
    {
        var lines = markdown.Split('\n').Select(l => l.TrimEnd('\r')).ToList();
        var rows = new List<Row>();
        if (FindTable(lines) is not { } range)
        {
            problems.Add($"no table with the header '{Header}'");
            return rows;
        }

        var (start, end) = range;

        for (var i = start + 1; i < end; i++)
        {
            if (lines[i].Trim() == Separator)
            {
                continue;
            }

            var m = RowPattern().Match(lines[i]);
            if (!m.Success || !Regex.IsMatch(m.Groups["code"].Value, "^A[0-9]{6}$") || !int.TryParse(m.Groups["http"].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var http))
            {
                problems.Add($"line {i + 1} is not a row '| A000000 | 400 | meaning |': {lines[i]}");
                continue;
            }

            rows.Add(new Row(m.Groups["code"].Value, http, EscapedCharacter().Replace(m.Groups["meaning"].Value, "$1")));
        }

        return rows;
    }

    /// <summary>Every disagreement between the document and the catalogue, in both directions.</summary>
    public static List<string> Differences(string markdown, IReadOnlyList<ResultCode> catalogue)
    {
        var problems = new List<string>();
        var rows = Parse(markdown, problems);
        foreach (var duplicate in rows.GroupBy(r => r.Code).Where(g => g.Count() > 1))
        {
            problems.Add($"{duplicate.Key} is listed {duplicate.Count()} times in the document");
        }

        var documented = rows.GroupBy(r => r.Code).ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
        var defined = catalogue.ToDictionary(c => c.Code, StringComparer.Ordinal);
        foreach (var code in catalogue.Where(c => !documented.ContainsKey(c.Code)))
        {
            problems.Add($"{code.Code} is in ResultCodes but not in the document");
        }

        foreach (var row in rows.Where(r => !defined.ContainsKey(r.Code)).DistinctBy(r => r.Code))
        {
            problems.Add($"{row.Code} is in the document but not in ResultCodes");
        }

        foreach (var code in catalogue.Where(c => documented.ContainsKey(c.Code)))
        {
            var row = documented[code.Code];
            if (row.Http != code.HttpStatus)
            {
                problems.Add($"{code.Code}: the document says HTTP {row.Http}, ResultCodes says {code.HttpStatus}");
            }

            if (row.Meaning != code.Template)
            {
                problems.Add($"{code.Code}: the document says \"{row.Meaning}\", ResultCodes says \"{code.Template}\"");
            }
        }

        if (problems.Count == 0 && !rows.Select(r => r.Code).SequenceEqual(catalogue.Select(c => c.Code)))
        {
            problems.Add("the rows are not in the catalogue's declaration order");
        }

        return problems;
    }

    /// <summary>The document with its table replaced by one rendered from <paramref name="catalogue"/>; appended when there is none.</summary>
    public static string Rewrite(string markdown, IEnumerable<ResultCode> catalogue)
    {
        var lines = markdown.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n').ToList();
        var table = Render(catalogue).TrimEnd('\n').Split('\n');
        if (FindTable(lines) is { } range)
        {
            lines.RemoveRange(range.Start, range.End - range.Start);
            lines.InsertRange(range.Start, table);
            return string.Join('\n', lines);
        }

        return markdown.TrimEnd('\n') + "\n\n" + string.Join('\n', table) + "\n";
    }

    // ---- the checker itself must be able to fail ---------------------------------------------------

    private static readonly ResultCode[] Sample =
    [
        new("A000101", 500, "Boom (request ID = {0})."),
        new("A149204", 400, "'clientSecret' is {0} characters long; the maximum is {1}."),
        new("A999201", 400, "A template with a | pipe and a \\ backslash."),
    ];

    private static string SampleDocument => "# Intro\n\nText before.\n\n" + Render(Sample) + "\nText after.\n";

    [Fact]
    public void a_rendered_table_parses_back_to_the_same_catalogue() =>
        Assert.Empty(Differences(SampleDocument, Sample));

    [Fact]
    public void a_code_missing_from_the_document_is_reported() =>
        Assert.Contains("A149204 is in ResultCodes but not in the document", Differences(SampleDocument.Replace("| A149204 |", "| A149299 |", StringComparison.Ordinal), Sample));

    [Fact]
    public void a_code_only_in_the_document_is_reported() =>
        Assert.Contains("A000101 is in the document but not in ResultCodes", Differences(SampleDocument, Sample[1..]));

    [Fact]
    public void a_different_status_is_reported() =>
        Assert.Contains(Differences(SampleDocument.Replace("| A000101 | 500 |", "| A000101 | 503 |", StringComparison.Ordinal), Sample),
            d => d.StartsWith("A000101: the document says HTTP 503", StringComparison.Ordinal));

    [Fact]
    public void a_different_meaning_is_reported() =>
        Assert.Contains(Differences(SampleDocument.Replace("the maximum is {1}", "the maximum is 86", StringComparison.Ordinal), Sample),
            d => d.StartsWith("A149204: the document says", StringComparison.Ordinal));

    [Fact]
    public void a_duplicate_row_is_reported()
    {
        var row = $"| A000101 | 500 | Boom (request ID = {{0}}). |\n";
        Assert.Contains("A000101 is listed 2 times in the document", Differences(SampleDocument.Replace(row, row + row, StringComparison.Ordinal), Sample));
    }

    [Fact]
    public void a_different_order_is_reported() =>
        Assert.Contains("the rows are not in the catalogue's declaration order", Differences(SampleDocument, [Sample[1], Sample[0], Sample[2]]));

    [Fact]
    public void a_malformed_row_and_a_missing_table_are_reported()
    {
        Assert.Contains(Differences(SampleDocument.Replace("| A000101 | 500 |", "| A000101 | five hundred |", StringComparison.Ordinal), Sample),
            d => d.Contains("is not a row", StringComparison.Ordinal));
        Assert.Contains("no table with the header '| Code | HTTP | Meaning |'", Differences("# Nothing here\n", Sample));
    }

    [Fact]
    public void rewriting_replaces_only_the_table()
    {
        var stale = SampleDocument.Replace("| A000101 | 500 |", "| A000101 | 503 |", StringComparison.Ordinal);

        var rewritten = Rewrite(stale, Sample);

        Assert.Equal(SampleDocument, rewritten);
        Assert.Equal("# Intro\n\nText before.\n\n" + Render(Sample), Rewrite("# Intro\n\nText before.\n", Sample));
    }

    // ---- the catalogue itself ----------------------------------------------------------------------

    [Fact]
    public void every_code_follows_authletes_pattern_and_is_unique()
    {
        Assert.NotEmpty(ResultCodes.All);
        Assert.All(ResultCodes.All, c => Assert.Matches("^A[0-9]{3}[0-3][0-9]{2}$", c.Code));
        Assert.Equal(ResultCodes.All.Count, ResultCodes.All.Select(c => c.Code).Distinct().Count());
    }

    [Fact]
    public void the_category_digit_agrees_with_the_http_status()
    {
        Assert.All(ResultCodes.All, c =>
        {
            // Authlete's backend calls (/auth/token 050, /auth/introspection 056 and 057 standard, /client/registration 202, 213,
            // 216, 217) report the OAuth outcome inside a 200 envelope (action, responseContent); only a malformed API call itself
            // is a 4xx.
            var envelope = c.Code[1..4] is "050" or "056" or "057" or "202" or "213" or "216" or "217";
            var expected = c.Code[4] switch { '0' => 2, '1' => 5, _ => 4 };
            Assert.True(c.HttpStatus / 100 == expected || (envelope && c.HttpStatus == 200), $"{c.Code} is category {c.Code[4]} but HTTP {c.HttpStatus}.");
            Assert.Equal(c.Code[4] == '0', c.IsSuccess);
        });
    }

    [Fact]
    public void the_api_numbers_are_the_documented_ones()
    {
        int[] apis = [0, 50, 56, 57, 110, 111, 112, 113, 114, 120, 121, 122, 123, 124, 125, 126, 127, 148, 149, 150, 151, 152, 153, 154, 155, 157, 158, 159, 160, 161, 162, 170, 180, 181, 182, 183, 184, 190, 191, 192, 193, 194, 195, 196, 197, 202, 213, 216, 217];
        Assert.All(ResultCodes.All, c => Assert.Contains(int.Parse(c.Code[1..4], CultureInfo.InvariantCulture), apis));
    }

    [Fact]
    public void the_success_codes_fixed_by_authlete_have_not_moved()
    {
        Assert.Equal(new ResultCode("A148001", 200, "Successfully refreshed the client secret of the client (ID = {0})."), ResultCodes.SecretRefreshed);
        Assert.Equal(new ResultCode("A149001", 200, "Successfully updated the client secret of the client (ID = {0})."), ResultCodes.SecretUpdated);
    }

    [Fact]
    public void every_template_formats_with_its_placeholders_and_gets_the_bracketed_prefix()
    {
        Assert.All(ResultCodes.All, c =>
        {
            var count = Regex.Matches(c.Template, @"\{(\d+)\}").Select(m => int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) + 1).DefaultIfEmpty(0).Max();
            var message = c.Format(Enumerable.Range(0, count).Select(i => (object?)("arg" + i)).ToArray());
            Assert.StartsWith($"[{c.Code}] ", message, StringComparison.Ordinal);
            Assert.DoesNotContain("{", message, StringComparison.Ordinal);
            Assert.EndsWith(".", message, StringComparison.Ordinal);
        });
    }
}
