<#
.SYNOPSIS
    Turns the cmdlet help written in docs/cmdlets/*.md into the module's MAML help file.
.DESCRIPTION
    platyPS is not available here, so this reads the same simple markdown shape platyPS uses:
    "# Name", "## SYNOPSIS", "## DESCRIPTION", "## EXAMPLES" with "### Example N: title"
    followed by a fenced powershell block and remarks, "## PARAMETERS" with "### -Name" and
    its description (a line "Default value: ..." gives the parameter's default), and optional
    "## OUTPUTS" ("### TypeName" and what it is), "## NOTES" and "## RELATED LINKS" (one
    "- Name" or "- [Text](uri)" a line).

    What the markdown does not say comes from the built module itself, read in a child pwsh
    (a background job) so that the module is never loaded into the process that runs this:
    one syntax block per parameter set; each parameter's type, accepted values, whether it is
    required, its position, pipeline input, aliases and wildcard support; the inputs (the
    types of the parameters that take pipeline input), the outputs ([OutputType]), and related
    links (the module's cmdlets each page mentions). Parameters of the module that the page
    does not describe, and parameters the page describes that the module does not have, are
    reported as warnings (the Pester help tests fail on them).

    Text is wrapped at $WrapWidth characters, one MAML para per paragraph, so that Get-Help
    never breaks a word in an 80-column console (it indents text by at most 8 columns).
#>
param(
    [Parameter(Mandatory)] [string] $DocsPath,
    [Parameter(Mandatory)] [string] $OutputPath,
    # The module manifest to read the cmdlets from; by default the one named after the folder
    # above the output's culture folder (out/VppPS/VppPS.psd1 for out/VppPS/en-US/VppPS.dll-Help.xml).
    [string] $ModulePath,
    [int] $WrapWidth = 70
)
$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest

if (-not $ModulePath) {
    $moduleFolder = Split-Path (Split-Path ([System.IO.Path]::GetFullPath($OutputPath)))
    $ModulePath = Join-Path $moduleFolder ((Split-Path -Leaf $moduleFolder) + '.psd1')
}

# --- What the module says about its cmdlets, read in a child pwsh -------------------------

$readMetadata = {
    param([string] $modulePath)
    $ErrorActionPreference = 'Stop'
    # Importing needs no state; a data folder of its own keeps the user's out of reach anyway.
    $env:VPPPS_HOME = Join-Path ([System.IO.Path]::GetTempPath()) ("vppps-help-" + [guid]::NewGuid().ToString('N'))
    try {
        $module = Import-Module $modulePath -PassThru
        $common = [System.Management.Automation.PSCmdlet]::CommonParameters
        foreach ($command in Get-Command -Module $module.Name -CommandType Cmdlet, Function) {
            $sets = foreach ($set in $command.ParameterSets) {
                [pscustomobject]@{
                    Name       = $set.Name
                    IsDefault  = $set.IsDefault -or $command.ParameterSets.Count -eq 1
                    Parameters = @(foreach ($p in $set.Parameters | Where-Object Name -notin $common) {
                            [pscustomobject]@{
                                Name = $p.Name; Mandatory = $p.IsMandatory; Position = $p.Position
                                ByValue = $p.ValueFromPipeline; ByPropertyName = $p.ValueFromPipelineByPropertyName
                            }
                        })
                }
            }
            $parameters = foreach ($p in $command.Parameters.Values | Where-Object Name -notin $common) {
                $validateSet = $p.Attributes | Where-Object { $_ -is [System.Management.Automation.ValidateSetAttribute] } | Select-Object -First 1
                $type = $p.ParameterType
                $element = if ($type.IsArray) { $type.GetElementType() } else { $type }
                [pscustomobject]@{
                    Name              = $p.Name
                    TypeName          = $type.FullName
                    ShortTypeName     = $type.Name
                    IsSwitch          = $p.SwitchParameter
                    Aliases           = @($p.Aliases)
                    SupportsWildcards = [bool] ($p.Attributes | Where-Object { $_ -is [System.Management.Automation.SupportsWildcardsAttribute] })
                    Values            = @(if ($validateSet) { $validateSet.ValidValues } elseif ($element.IsEnum) { [Enum]::GetNames($element) })
                    IsArray           = $type.IsArray
                }
            }
            [pscustomobject]@{
                Name        = $command.Name
                Verb        = $command.Verb
                Noun        = $command.Noun
                OutputTypes = @($command.OutputType | ForEach-Object Name)
                Sets        = @($sets)
                Parameters  = @($parameters)
            }
        }
    }
    finally { Remove-Item -LiteralPath $env:VPPPS_HOME -Recurse -Force -ErrorAction Ignore }
}
$job = Start-Job -ScriptBlock $readMetadata -ArgumentList $ModulePath
try { $metadata = @(Receive-Job $job -Wait -ErrorAction Stop) } finally { Remove-Job $job -Force }
$commands = @{}
foreach ($c in $metadata) { $commands[$c.Name] = $c }
if (-not $commands.Count) { throw "No cmdlets found in $ModulePath." }

# --- Markdown -----------------------------------------------------------------------------

function Split-Sections([string[]] $lines, [string] $prefix) {
    $sections = [ordered]@{}
    $current = $null
    $inCode = $false
    foreach ($line in $lines) {
        if ($line -match '^```') { $inCode = -not $inCode }
        if (-not $inCode -and $line.StartsWith($prefix + ' ')) { $current = $line.Substring($prefix.Length + 1).Trim(); $sections[$current] = [System.Collections.Generic.List[string]]::new(); continue }
        if ($null -ne $current) { $sections[$current].Add($line) }
    }
    $sections
}

# Greedy word wrap of one paragraph; a list item ("- ", "* ", "1. ") starts a new line and its
# continuation lines are indented under its text.
function Format-Paragraph([string] $text, [int] $width = $WrapWidth) {
    $items = [System.Collections.Generic.List[string]]::new()
    foreach ($line in $text -split '\r?\n') {
        $line = $line.Trim()
        if (-not $line) { continue }
        if ($line -match '^([-*]|\d+\.)\s' -or -not $items.Count) { $items.Add($line) } else { $items[$items.Count - 1] += ' ' + $line }
    }
    $out = foreach ($item in $items) {
        $hanging = if ($item -match '^(([-*]|\d+\.)\s+)') { ' ' * $Matches[1].Length } else { '' }
        $line = ''
        foreach ($word in $item -split '\s+') {
            if ($line -and ($line.Length + 1 + $word.Length) -gt $width) { $line; $line = $hanging + $word }
            elseif ($line) { $line += ' ' + $word }
            else { $line = $word }
        }
        if ($line) { $line }
    }
    $out -join "`n"
}

function Get-Paragraphs($lines) {
    if (-not $lines) { return @() }
    @((($lines -join "`n").Trim()) -split '\n\s*\n' | Where-Object { $_.Trim() } | ForEach-Object { Format-Paragraph $_ })
}

# --- MAML ---------------------------------------------------------------------------------

$settings = [System.Xml.XmlWriterSettings]@{ Indent = $true; Encoding = [System.Text.UTF8Encoding]::new($false) }
New-Item -ItemType Directory -Force (Split-Path $OutputPath) | Out-Null
$writer = [System.Xml.XmlWriter]::Create($OutputPath, $settings)
$maml = 'http://schemas.microsoft.com/maml/2004/10'
$command = 'http://schemas.microsoft.com/maml/dev/command/2004/10'
$dev = 'http://schemas.microsoft.com/maml/dev/2004/10'

function Write-Paras([string[]] $paras) {
    $writer.WriteStartElement('maml', 'description', $maml)
    foreach ($p in $paras) { $writer.WriteElementString('maml', 'para', $maml, $p) }
    $writer.WriteEndElement()
}

# "true", "false", or per parameter set when the sets differ: "true (ByApp), false (ByInputObject)".
function Join-PerSet($perSet) {
    $distinct = @($perSet | ForEach-Object Value | Select-Object -Unique)
    if ($distinct.Count -eq 1) { return $distinct[0] }
    (@($perSet | Group-Object Value | ForEach-Object { "$($_.Name) ($(($_.Group | ForEach-Object Set) -join ', '))" }) -join '; ')
}

function Get-PipelineText($p) {
    $how = @(if ($p.ByValue) { 'ByValue' }; if ($p.ByPropertyName) { 'ByPropertyName' })
    if ($how) { "True ($($how -join ', '))" } else { 'False' }
}

function Get-PositionText($p) { if ($p.Position -ge 0) { [string] $p.Position } else { 'named' } }

# Descriptions of PowerShell's own parameters, for pages that do not describe them.
$standardDescriptions = @{
    WhatIf            = 'Shows what would happen if the cmdlet runs. The cmdlet is not run.'
    Confirm           = 'Prompts you for confirmation before running the cmdlet.'
    First             = 'Gets only the first number of objects.'
    Skip              = 'Ignores the first number of objects and then gets the rest.'
    IncludeTotalCount = 'Reports the total number of objects before the objects themselves.'
}

# One <command:parameter>, as the syntax and the parameters section both write it.
# $usage: per-set records (Set, Mandatory, Position, ByValue, ByPropertyName) of this parameter.
function Write-Parameter($parameter, $usage, [string[]] $paras, [string] $default, [bool] $inSyntax) {
    $writer.WriteStartElement('command', 'parameter', $command)
    $writer.WriteAttributeString('required', (Join-PerSet @($usage | ForEach-Object { [pscustomobject]@{ Set = $_.Set; Value = ([string] $_.Mandatory).ToLowerInvariant() } })))
    $writer.WriteAttributeString('variableLength', ([string] $parameter.IsArray).ToLowerInvariant())
    $writer.WriteAttributeString('globbing', ([string] $parameter.SupportsWildcards).ToLowerInvariant())
    $writer.WriteAttributeString('pipelineInput', (Join-PerSet @($usage | ForEach-Object { [pscustomobject]@{ Set = $_.Set; Value = (Get-PipelineText $_) } })))
    $writer.WriteAttributeString('position', (Join-PerSet @($usage | ForEach-Object { [pscustomobject]@{ Set = $_.Set; Value = (Get-PositionText $_) } })))
    $writer.WriteAttributeString('aliases', $(if ($parameter.Aliases) { $parameter.Aliases -join ', ' } else { 'none' }))
    $writer.WriteElementString('maml', 'name', $maml, $parameter.Name)
    if (-not $inSyntax) { Write-Paras $paras }
    if ($inSyntax -and $parameter.Values -and -not $parameter.IsSwitch) {
        $writer.WriteStartElement('command', 'parameterValueGroup', $command)
        foreach ($value in $parameter.Values) {
            $writer.WriteStartElement('command', 'parameterValue', $command)
            $writer.WriteAttributeString('required', 'false')
            $writer.WriteAttributeString('variableLength', 'false')
            $writer.WriteString($value)
            $writer.WriteEndElement()
        }
        $writer.WriteEndElement()
    }
    elseif (-not $parameter.IsSwitch) {
        $writer.WriteStartElement('command', 'parameterValue', $command)
        $writer.WriteAttributeString('required', 'true')
        $writer.WriteAttributeString('variableLength', ([string] $parameter.IsArray).ToLowerInvariant())
        $writer.WriteString($parameter.ShortTypeName)
        $writer.WriteEndElement()
    }
    $writer.WriteStartElement('dev', 'type', $dev)
    $writer.WriteElementString('maml', 'name', $maml, $parameter.TypeName)
    $writer.WriteEndElement()
    $writer.WriteElementString('dev', 'defaultValue', $dev, $default)
    $writer.WriteEndElement()
}

function Write-TypeList([string] $listName, [string] $itemName, $entries) {
    $writer.WriteStartElement('command', $listName, $command)
    foreach ($entry in $entries) {
        $writer.WriteStartElement('command', $itemName, $command)
        $writer.WriteStartElement('dev', 'type', $dev)
        $writer.WriteElementString('maml', 'name', $maml, $entry.Type)
        $writer.WriteEndElement()
        Write-Paras $entry.Paras
        $writer.WriteEndElement()
    }
    $writer.WriteEndElement()
}

# The default a page states ("Default value: ..."), else False for a switch and None otherwise.
function Get-Default($parameter, $defaults) {
    if ($defaults.ContainsKey($parameter.Name)) { $defaults[$parameter.Name] } elseif ($parameter.IsSwitch) { 'False' } else { 'None' }
}

# A parameter's description, then the values it accepts when it has a fixed set.
function Get-ParameterParas($parameter, $descriptions) {
    $paras = @($descriptions[$parameter.Name])
    if ($parameter.Values -and -not $parameter.IsSwitch) { $paras += Format-Paragraph "Accepted values: $($parameter.Values -join ', ')." }
    $paras
}

$writer.WriteStartDocument()
$writer.WriteStartElement('helpItems')
$writer.WriteAttributeString('schema', 'maml')
$documented = @{}
foreach ($file in Get-ChildItem $DocsPath -Filter '*.md' | Sort-Object Name) {
    $lines = Get-Content $file.FullName
    $name = ($lines | Where-Object { $_ -match '^# ' } | Select-Object -First 1).Substring(2).Trim()
    $meta = $commands[$name]
    if (-not $meta) { Write-Warning "$($file.Name) documents $name, which the module does not export; skipped."; continue }
    $documented[$name] = $true
    $sections = Split-Sections $lines '##'

    # Parameter descriptions and defaults from the page, in the page's order, then the rest.
    $pageParameters = if ($sections.Contains('PARAMETERS')) { Split-Sections $sections['PARAMETERS'] '###' } else { [ordered]@{} }
    $descriptions = [ordered]@{}
    $defaults = @{}
    foreach ($heading in $pageParameters.Keys) {
        $parameterName = $heading.TrimStart('-').Trim()
        $body = [System.Collections.Generic.List[string]]::new()
        foreach ($line in $pageParameters[$heading]) {
            if ($line -match '^\s*Default value:\s*(.+?)\s*$') { $defaults[$parameterName] = $Matches[1] } else { $body.Add($line) }
        }
        if ($parameterName -notin $meta.Parameters.Name) { Write-Warning "$($file.Name) describes -$parameterName, which $name does not have."; continue }
        $descriptions[$parameterName] = @(Get-Paragraphs $body)
    }
    foreach ($parameter in $meta.Parameters) {
        if ($descriptions.Contains($parameter.Name)) { continue }
        if ($standardDescriptions.ContainsKey($parameter.Name)) { $descriptions[$parameter.Name] = @(Format-Paragraph $standardDescriptions[$parameter.Name]) }
        else { Write-Warning "$($file.Name) does not describe -$($parameter.Name) of $name."; $descriptions[$parameter.Name] = @() }
    }
    $byName = @{}
    foreach ($parameter in $meta.Parameters) { $byName[$parameter.Name] = $parameter }
    $usage = @{}
    foreach ($set in $meta.Sets) {
        foreach ($p in $set.Parameters) {
            if (-not $usage.ContainsKey($p.Name)) { $usage[$p.Name] = [System.Collections.Generic.List[object]]::new() }
            $usage[$p.Name].Add([pscustomobject]@{ Set = $set.Name; Mandatory = $p.Mandatory; Position = $p.Position; ByValue = $p.ByValue; ByPropertyName = $p.ByPropertyName })
        }
    }

    $writer.WriteStartElement('command', 'command', $command)
    $writer.WriteAttributeString('xmlns', 'maml', $null, $maml)
    $writer.WriteAttributeString('xmlns', 'dev', $null, $dev)
    $writer.WriteStartElement('command', 'details', $command)
    $writer.WriteElementString('command', 'name', $command, $name)
    $writer.WriteElementString('command', 'verb', $command, $meta.Verb)
    $writer.WriteElementString('command', 'noun', $command, $meta.Noun)
    Write-Paras (Get-Paragraphs $sections['SYNOPSIS'])
    $writer.WriteEndElement()
    Write-Paras (Get-Paragraphs $sections['DESCRIPTION'])

    # SYNTAX: the default set first; in each, positional parameters by position, then the
    # required ones, then the others, in the order the cmdlet declares them.
    $writer.WriteStartElement('command', 'syntax', $command)
    foreach ($set in @($meta.Sets | Sort-Object { -not $_.IsDefault })) {
        $writer.WriteStartElement('command', 'syntaxItem', $command)
        $writer.WriteElementString('maml', 'name', $maml, $name)
        $ordered = @($set.Parameters | Sort-Object { if ($_.Position -ge 0) { 0 } elseif ($_.Mandatory) { 1 } else { 2 } }, { if ($_.Position -ge 0) { $_.Position } else { 0 } } -Stable)
        foreach ($p in $ordered) {
            $one = [pscustomobject]@{ Set = $set.Name; Mandatory = $p.Mandatory; Position = $p.Position; ByValue = $p.ByValue; ByPropertyName = $p.ByPropertyName }
            Write-Parameter $byName[$p.Name] @($one) @() (Get-Default $byName[$p.Name] $defaults) $true
        }
        $writer.WriteEndElement()
    }
    $writer.WriteEndElement()

    $writer.WriteStartElement('command', 'parameters', $command)
    foreach ($parameterName in $descriptions.Keys) {
        $parameter = $byName[$parameterName]
        Write-Parameter $parameter $usage[$parameterName] (Get-ParameterParas $parameter $descriptions) (Get-Default $parameter $defaults) $false
    }
    $writer.WriteEndElement()

    # INPUTS: one entry per parameter that takes pipeline input.
    $inputs = foreach ($parameterName in $descriptions.Keys) {
        $parameter = $byName[$parameterName]
        $ways = @($usage[$parameterName])
        $byValue = [bool] ($ways | Where-Object ByValue)
        $byProperty = [bool] ($ways | Where-Object ByPropertyName)
        if (-not ($byValue -or $byProperty)) { continue }
        $how = @(
            if ($byValue) { "Objects piped to $name bind to -$parameterName." }
            if ($byProperty) { "The $((@($parameterName) + @($parameter.Aliases)) -join ' or ') property of piped objects binds to -$parameterName." }
        ) -join ' '
        $first = @($descriptions[$parameterName])[0]
        @{ Type = $parameter.TypeName; Paras = @(Format-Paragraph $how) + @(if ($first) { $first }) }
    }
    if (-not $inputs) { $inputs = @(@{ Type = 'None'; Paras = @("You cannot pipe objects to $name.") }) }
    Write-TypeList 'inputTypes' 'inputType' $inputs

    # OUTPUTS: the [OutputType] types, described by the page's "## OUTPUTS" when it has one.
    $pageOutputs = if ($sections.Contains('OUTPUTS')) { Split-Sections $sections['OUTPUTS'] '###' } else { @{} }
    $outputs = foreach ($type in $meta.OutputTypes) {
        if ($type -eq 'System.Void') { @{ Type = 'None'; Paras = @("$name writes no objects.") }; continue }
        $key = @($pageOutputs.Keys) | Where-Object { $_ -eq $type -or $type.EndsWith(".$_") } | Select-Object -First 1
        @{ Type = $type; Paras = @(if ($key) { Get-Paragraphs $pageOutputs[$key] }) }
    }
    Write-TypeList 'returnValues' 'returnValue' $outputs

    if ($sections.Contains('NOTES')) {
        $writer.WriteStartElement('maml', 'alertSet', $maml)
        $writer.WriteStartElement('maml', 'alert', $maml)
        foreach ($p in Get-Paragraphs $sections['NOTES']) { $writer.WriteElementString('maml', 'para', $maml, $p) }
        $writer.WriteEndElement()
        $writer.WriteEndElement()
    }

    $writer.WriteStartElement('command', 'examples', $command)
    $examples = Split-Sections $sections['EXAMPLES'] '###'
    foreach ($title in $examples.Keys) {
        $body = $examples[$title] -join "`n"
        $code = if ($body -match '(?s)```(?:powershell)?\s*\n(.*?)\n```') { $Matches[1] } else { '' }
        $remarks = ($body -replace '(?s)```.*?```', '').Trim()
        $writer.WriteStartElement('command', 'example', $command)
        # Dashes either side, as Get-Help shows examples, but never past $WrapWidth.
        $dashes = '-' * [Math]::Max(2, [Math]::Floor(($WrapWidth - $title.Length - 2) / 2))
        $writer.WriteElementString('maml', 'title', $maml, "$dashes $title $dashes")
        $writer.WriteElementString('dev', 'code', $dev, $code)
        $writer.WriteStartElement('dev', 'remarks', $dev)
        foreach ($p in Get-Paragraphs ($remarks -split '\n')) { $writer.WriteElementString('maml', 'para', $maml, $p) }
        $writer.WriteEndElement()
        $writer.WriteEndElement()
    }
    $writer.WriteEndElement()

    # RELATED LINKS: the page's own list first, then every other cmdlet of the module it
    # mentions, in the order it first mentions them.
    $links = [ordered]@{}
    if ($sections.Contains('RELATED LINKS')) {
        foreach ($line in $sections['RELATED LINKS']) {
            if ($line -match '^\s*[-*]\s+\[(.+?)\]\((.*?)\)') { $links[$Matches[1]] = $Matches[2] }
            elseif ($line -match '^\s*[-*]\s+(.+?)\s*$') { $links[$Matches[1]] = '' }
        }
    }
    foreach ($match in [regex]::Matches(($lines -join "`n"), '\b[A-Za-z]+-[A-Za-z]+\b')) {
        if ($match.Value -ne $name -and $commands.ContainsKey($match.Value) -and -not $links.Contains($match.Value)) { $links[$match.Value] = '' }
    }
    $writer.WriteStartElement('command', 'relatedLinks', $command)
    foreach ($text in $links.Keys) {
        $writer.WriteStartElement('maml', 'navigationLink', $maml)
        $writer.WriteElementString('maml', 'linkText', $maml, $text)
        $writer.WriteElementString('maml', 'uri', $maml, $links[$text])
        $writer.WriteEndElement()
    }
    $writer.WriteEndElement()
    $writer.WriteEndElement()
}
$writer.WriteEndElement()
$writer.WriteEndDocument()
$writer.Dispose()
foreach ($missing in $commands.Keys | Where-Object { -not $documented.ContainsKey($_) } | Sort-Object) {
    Write-Warning "$missing has no help page in $DocsPath."
}
