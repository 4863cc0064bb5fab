<#
.SYNOPSIS
    Turns the cmdlet help written in docs/cmdlets/*.md into the module's MAML help file.
.DESCRIPTION
    platyPS is not available here, so this reads the same simple markdown shape platyPS uses:
    "# Name", "## SYNOPSIS", "## DESCRIPTION", "## EXAMPLES" with "### Example N: title"
    followed by a fenced powershell block and remarks, "## PARAMETERS" with "### -Name" and
    its description, and optional "## NOTES".
#>
param(
    [Parameter(Mandatory)] [string] $DocsPath,
    [Parameter(Mandatory)] [string] $OutputPath
)
$ErrorActionPreference = 'Stop'

function Split-Sections([string[]] $lines, [string] $prefix) {
    $sections = [ordered]@{}
    $current = $null
    foreach ($line in $lines) {
        if ($line.StartsWith($prefix + ' ')) { $current = $line.Substring($prefix.Length + 1).Trim(); $sections[$current] = [System.Collections.Generic.List[string]]::new(); continue }
        if ($null -ne $current) { $sections[$current].Add($line) }
    }
    $sections
}

function Get-Paragraphs([System.Collections.Generic.List[string]] $lines) {
    if (-not $lines) { return @() }
    ((($lines -join "`n").Trim()) -split "\n\s*\n") | Where-Object { $_.Trim() } | ForEach-Object { ($_ -replace '\s*\n\s*', ' ').Trim() }
}

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

$writer.WriteStartDocument()
$writer.WriteStartElement('helpItems')
$writer.WriteAttributeString('schema', 'maml')
foreach ($file in Get-ChildItem $DocsPath -Filter '*.md' | Sort-Object Name) {
    $lines = Get-Content $file.FullName
    $name = ($lines | Where-Object { $_ -match '^# ' } | Select-Object -First 1).Substring(2).Trim()
    $verb, $noun = $name -split '-', 2
    $sections = Split-Sections $lines '##'

    $writer.WriteStartElement('command', 'command', $command)
    $writer.WriteAttributeString('xmlns', 'maml', $null, $maml)
    $writer.WriteAttributeString('xmlns', 'dev', $null, $dev)
    $writer.WriteStartElement('command', 'details', $command)
    $writer.WriteElementString('command', 'name', $command, $name)
    $writer.WriteElementString('command', 'verb', $command, $verb)
    $writer.WriteElementString('command', 'noun', $command, $noun)
    Write-Paras (Get-Paragraphs $sections['SYNOPSIS'])
    $writer.WriteEndElement()
    Write-Paras (Get-Paragraphs $sections['DESCRIPTION'])

    if ($sections.Contains('PARAMETERS')) {
        $writer.WriteStartElement('command', 'parameters', $command)
        $parameters = Split-Sections $sections['PARAMETERS'] '###'
        foreach ($parameter in $parameters.Keys) {
            $writer.WriteStartElement('command', 'parameter', $command)
            $writer.WriteElementString('maml', 'name', $maml, $parameter.TrimStart('-'))
            Write-Paras (Get-Paragraphs $parameters[$parameter])
            $writer.WriteEndElement()
        }
        $writer.WriteEndElement()
    }

    $writer.WriteStartElement('command', 'examples', $command)
    $examples = Split-Sections $sections['EXAMPLES'] '###'
    foreach ($title in $examples.Keys) {
        $body = $examples[$title] -join "`n"
        $code = if ($body -match '(?s)```(?:powershell)?\s*\n(.*?)\n```') { $Matches[1] } else { '' }
        $remarks = ($body -replace '(?s)```.*?```', '').Trim()
        $writer.WriteStartElement('command', 'example', $command)
        $writer.WriteElementString('maml', 'title', $maml, "-------------------------- $title --------------------------")
        $writer.WriteElementString('dev', 'code', $dev, $code)
        $writer.WriteStartElement('dev', 'remarks', $dev)
        foreach ($p in (($remarks -split "\n\s*\n") | Where-Object { $_.Trim() })) { $writer.WriteElementString('maml', 'para', $maml, ($p -replace '\s*\n\s*', ' ').Trim()) }
        $writer.WriteEndElement()
        $writer.WriteEndElement()
    }
    $writer.WriteEndElement()

    if ($sections.Contains('NOTES')) {
        $writer.WriteStartElement('maml', 'alertSet', $maml)
        $writer.WriteStartElement('maml', 'alert', $maml)
        foreach ($p in Get-Paragraphs $sections['NOTES']) { $writer.WriteElementString('maml', 'para', $maml, $p) }
        $writer.WriteEndElement()
        $writer.WriteEndElement()
    }
    $writer.WriteEndElement()
}
$writer.WriteEndElement()
$writer.WriteEndDocument()
$writer.Dispose()
