using System.Collections;
using System.Management.Automation;

namespace VppPS.Infrastructure;

/// <summary>
/// Lets a parameter take only objects of one VppPS type (by type name, so deserialized objects
/// from a remote session or Import-Clixml count too). Anything else is turned down as a cast that
/// does not apply, which PowerShell's pipeline binding takes as "this parameter does not take it"
/// and goes on to bind the object's properties by name. That is how a token piped into
/// Get-VppLicensedApp binds -TokenObject instead of its Name binding -Name.
/// </summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field)]
internal sealed class PipelineObjectAttribute(string typeName) : ArgumentTransformationAttribute
{
    public string TypeName { get; } = typeName;

    public override object Transform(EngineIntrinsics engineIntrinsics, object inputData)
    {
        if (inputData is IList list and not PSObject)
        {
            foreach (var item in list) Check(item);
            return inputData;
        }
        Check(inputData);
        return inputData;
    }

    /// <summary>Whether <paramref name="item"/> is an object of <paramref name="typeName"/> (or one deserialized from it).</summary>
    public static bool IsOf(object? item, string typeName) =>
        item is not null && PSObject.AsPSObject(item).TypeNames.Any(n => n == typeName || n == "Deserialized." + typeName);

    private void Check(object? item)
    {
        if (IsOf(item, TypeName)) return;
        var what = item is null ? "null" : PSObject.AsPSObject(item).TypeNames.FirstOrDefault() ?? item.GetType().FullName;
        var message = $"Expected {TypeName} objects, not {what}.";
        throw new ArgumentTransformationMetadataException(message, new PSInvalidCastException(message));
    }

    /// <summary>The Id (a Guid) of a VppPS object.</summary>
    public static Guid? IdOf(PSObject item) =>
        item.Properties["Id"]?.Value is { } value && Guid.TryParse(value.ToString(), out var id) ? id : null;
}

/// <summary>Type names the pipeline parameters look for.</summary>
internal static class PipelineTypes
{
    public const string Token = "VppPS.Engine.Tokens.VppToken";
    public const string Group = "VppPS.Engine.Directories.VppGroup";
    public const string LicenseHolder = "VppPS.Engine.Inventory.LicenseHolder";
}
