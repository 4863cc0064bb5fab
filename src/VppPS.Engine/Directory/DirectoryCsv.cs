using System.Text;

namespace VppPS.Engine.Directories;

/// <summary>One row of a directory file, with the line it starts on.</summary>
internal sealed record DirectoryRow(int Line, DirectoryKind Type, MemberInput Member, IReadOnlyList<string> Groups);

/// <summary>
/// Reads the CSV that Import-VppDirectory takes: a header line, then one user or device per row.
/// RFC 4180 (commas, double quotes, quoted line breaks), UTF-8 with or without BOM; column names
/// are case-insensitive and in any order; columns VppPS does not know are ignored. Every problem
/// names the line, and the whole file is checked before anything is written.
/// </summary>
internal static class DirectoryCsv
{
    public static readonly string[] Columns =
        ["Type", "UserPrincipalName", "Mail", "ManagedAppleId", "DisplayName", "Id", "SerialNumber", "DeviceName", "Owner", "Platform", "Groups"];

    private const long MaxBytes = 512L * 1024 * 1024;

    public static (IReadOnlyList<DirectoryRow> Rows, IReadOnlyList<string> IgnoredColumns) Read(string path)
    {
        string text;
        try
        {
            if (System.IO.Directory.Exists(path))
                throw Bad("VppDirectoryFileNotFound", $"'{path}' is a folder. Give the path of a CSV file.", path);
            var info = new FileInfo(path);
            if (!info.Exists) throw Bad("VppDirectoryFileNotFound", $"The file '{path}' does not exist. Give the path of a CSV file with a header line (Type, UserPrincipalName, SerialNumber, ...).", path);
            if (info.Length > MaxBytes) throw Bad("VppDirectoryFileTooLarge", $"'{path}' is larger than 512 MB; split it.", path);
            text = File.ReadAllText(path, new UTF8Encoding(false, throwOnInvalidBytes: true));
        }
        catch (DecoderFallbackException)
        {
            throw NotCsv(path, "it is not UTF-8 text");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw Bad("VppDirectoryFileUnreadable", $"'{path}' cannot be read: {e.Message}", path);
        }
        if (text.Contains('\0')) throw NotCsv(path, "it is a binary file");
        return Parse(text, path);
    }

    internal static (IReadOnlyList<DirectoryRow> Rows, IReadOnlyList<string> IgnoredColumns) Parse(string text, string path)
    {
        var records = Records(text, path).ToList();
        if (records.Count == 0) throw NotCsv(path, "it is empty");
        var (headerLine, header) = records[0];
        var index = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
        var ignored = new List<string>();
        for (var i = 0; i < header.Count; i++)
        {
            var name = header[i].Trim();
            var known = Columns.FirstOrDefault(c => string.Equals(c, name, StringComparison.OrdinalIgnoreCase));
            if (known is null) { if (name.Length > 0) ignored.Add(name); continue; }
            if (!index.TryAdd(known, i))
                throw Bad("VppDirectoryCsvInvalid", $"Line {headerLine} of '{path}': the column '{known}' appears twice.", path);
        }
        if (!index.ContainsKey("Type"))
            throw NotCsv(path, $"its first line is not a header with a Type column (found: {Shorten(string.Join(",", header))})");
        if (!index.ContainsKey("UserPrincipalName") && !index.ContainsKey("SerialNumber"))
            throw Bad("VppDirectoryCsvInvalid", $"Line {headerLine} of '{path}': the header needs a UserPrincipalName column (users) or a SerialNumber column (devices).", path);

        var rows = new List<DirectoryRow>();
        var seen = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
        foreach (var (line, fields) in records.Skip(1))
        {
            if (fields.All(string.IsNullOrWhiteSpace)) continue;
            if (fields.Count > header.Count)
                throw Bad("VppDirectoryCsvInvalid", $"Line {line} of '{path}' has {fields.Count} fields but the header has {header.Count}. Quote values that contain commas.", path);
            string? Field(string column) => index.TryGetValue(column, out var i) && i < fields.Count ? MemberInput.Clean(fields[i]) : null;
            var typeText = Field("Type");
            if (typeText is null)
                throw Bad("VppDirectoryRowInvalid", $"Line {line} of '{path}' has no Type. Write User or Device.", path);
            if (!Enum.TryParse<DirectoryKind>(typeText, ignoreCase: true, out var type) || !Enum.IsDefined(type) || char.IsDigit(typeText[0]))
                throw Bad("VppDirectoryRowInvalid", $"Line {line} of '{path}' has the unknown Type '{typeText}'. Write User or Device.", path);
            var member = new MemberInput
            {
                UserPrincipalName = Field("UserPrincipalName"), Mail = Field("Mail"), ManagedAppleId = Field("ManagedAppleId"),
                DisplayName = Field("DisplayName"), Id = Field("Id"), SerialNumber = Field("SerialNumber"), DeviceName = Field("DeviceName"),
                Owner = Field("Owner"), Platform = Field("Platform"),
            };
            if (type == DirectoryKind.User && member.SerialNumber is not null)
                throw Bad("VppDirectoryRowInvalid", $"Line {line} of '{path}' is a User row with a SerialNumber. Leave SerialNumber empty for users, or write Type Device.", path);
            var keyColumn = type == DirectoryKind.User ? "UserPrincipalName" : "SerialNumber";
            if ((type == DirectoryKind.User ? member.UserPrincipalName : member.SerialNumber) is null)
                throw Bad("VppDirectoryRowInvalid", $"Line {line} of '{path}': a {type} row needs a {keyColumn}.", path);
            if (member.Problem(type, type.ToString()) is { } problem)
                throw Bad("VppDirectoryRowInvalid", $"Line {line} of '{path}': {problem.Message}", path);
            var key = type + ":" + member.Key(type);
            if (!seen.TryAdd(key, line))
                throw Bad("VppDirectoryRowDuplicate", $"Line {line} of '{path}' repeats the {type.ToString().ToLowerInvariant()} '{member.Key(type)}' of line {seen[key]}. List each once; put all its groups in Groups, separated by ';'.", path);
            var groups = (Field("Groups") ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Distinct(StringComparer.OrdinalIgnoreCase).ToList();
            foreach (var group in groups)
                if (DirectoryValues.CheckGroupName(group) is { } bad)
                    throw Bad("VppDirectoryRowInvalid", $"Line {line} of '{path}': {bad.Message}", path);
            rows.Add(new DirectoryRow(line, type, member, groups));
        }
        return (rows, ignored);
    }

    /// <summary>RFC 4180 records with the line each starts on.</summary>
    private static IEnumerable<(int Line, List<string> Fields)> Records(string text, string path)
    {
        var line = 1;
        var position = 0;
        if (text.Length > 0 && text[0] == '\uFEFF') position = 1;
        while (position < text.Length)
        {
            var start = line;
            var fields = new List<string>();
            var field = new StringBuilder();
            var quoted = false;
            var atFieldStart = true;
            while (true)
            {
                if (position >= text.Length)
                {
                    if (quoted) throw Bad("VppDirectoryCsvInvalid", $"Line {start} of '{path}' opens a quoted value that never closes.", path);
                    fields.Add(field.ToString());
                    break;
                }
                var ch = text[position++];
                if (quoted)
                {
                    if (ch == '"')
                    {
                        if (position < text.Length && text[position] == '"') { field.Append('"'); position++; }
                        else quoted = false;
                    }
                    else
                    {
                        if (ch == '\n') line++;
                        field.Append(ch);
                    }
                    continue;
                }
                if (ch == '"' && atFieldStart) { quoted = true; atFieldStart = false; continue; }
                if (ch == ',') { fields.Add(field.ToString()); field.Clear(); atFieldStart = true; continue; }
                if (ch == '\r') continue;
                if (ch == '\n') { line++; fields.Add(field.ToString()); break; }
                field.Append(ch);
                atFieldStart = false;
            }
            yield return (start, fields);
        }
    }

    private static string Shorten(string text) => text.Length > 60 ? text[..60] + "..." : text;

    private static VppException NotCsv(string path, string why) => Bad("VppDirectoryFileNotCsv",
        $"'{path}' is not a directory CSV file: {why}. The first line must be a header such as: {string.Join(",", Columns)}", path);

    private static VppException Bad(string id, string message, string path) => new(VppErrorKind.InvalidArgument, id, message, path);
}
