# Help as a person reads it: for every exported cmdlet, Get-Help -Full is complete (syntax per
# parameter set, each parameter with required, position, pipeline input, aliases, wildcards and
# default, inputs, outputs, related links) and fits an 80-column console without cutting a word;
# every example parses and binds each VppPS command in it to one parameter set; and the examples
# run, in one throw-away demo world against the simulator, except those listed as skipped below.

BeforeDiscovery {
    Import-Module $env:VPPPS_TEST_MODULE -Force
    $commands = @(Get-Command -Module VppPS | Sort-Object Name)
    $Cmdlets = @($commands | ForEach-Object { @{ Name = $_.Name } })
    $vppNames = @($commands.Name)

    # Why an example cannot run in the test's demo world, or $null when it can.
    function Get-SkipReason([string] $code, [string[]] $names) {
        if ($names -like '*-Mg*') { return 'it needs the Microsoft.Graph module, which is not installed here' }
        if ($names -contains 'Get-Secret') { return 'it needs Microsoft.PowerShell.SecretManagement and a vault' }
        if ($names | Where-Object { $_ -match '^(Register|Unregister|Get)-VppSyncSchedule$' }) { return "it reads or writes this machine's crontab (the Task Scheduler on Windows)" }
        if ($code -match 'db\.example\.com|Host=localhost') { return "it needs the team's PostgreSQL server it names (SharedStore.Tests.ps1 runs these commands against the test server)" }
        if ($code -match 'Set-VppConfiguration[^\n]*-DataFolder') { return 'it moves the data folder, which VPPPS_HOME fixes for the test world (-DataFolder is refused while VPPPS_HOME is set)' }
        foreach ($name in $names) {
            if ($name -notin $vppNames -and -not (Get-Command $name -ErrorAction Ignore)) { return "it needs $name, which is not installed here" }
        }
        $null
    }

    # Examples whose Get- pipeline finds nothing in the demo world, by design, and why; every other
    # Get- pipeline of an example must start with something there.
    $mayFindNothing = @{
        'Set-VppToken 3'        = 'no token of the demo is taken over by another MDM'
        'Get-VppLicensedBook 3' = 'every book of the demo has licenses left'
        'Get-VppSyncHistory 3'  = 'no sync of the demo world fails'
    }

    # The order the examples run in: what creates things first, removals last.
    $phases = @{ New = 1; Import = 2; Add = 3; Set = 4; Sync = 5; Update = 6; Remove = 9 }
    $all = foreach ($command in $commands) {
        $help = Get-Help $command.Name -Full
        $index = 0
        foreach ($example in @($help.Examples.Example)) {
            $index++
            if (-not $example) { continue }
            $code = $example.Code
            $ast = [System.Management.Automation.Language.Parser]::ParseInput($code, [ref] $null, [ref] $null)
            $names = @($ast.FindAll({ $args[0] -is [System.Management.Automation.Language.CommandAst] }, $true) | ForEach-Object { $_.GetCommandName() } | Where-Object { $_ })
            @{
                Cmdlet = $command.Name; Index = $index; Code = $code
                Skip   = Get-SkipReason $code $names
                MayFindNothing = $mayFindNothing["$($command.Name) $index"]
                # Examples that upload tokens or start and stop simulators run each in an empty world
                # of their own: the demo world holds every demo token already (a second upload is
                # refused, by design) and its one simulator must keep running.
                Empty  = [bool] ($names | Where-Object { $_ -in 'Add-VppToken', 'Start-VppSimulator', 'Stop-VppSimulator' })
                Phase  = if ($phases.ContainsKey($command.Verb)) { $phases[$command.Verb] } else { 7 }
            }
        }
    }
    $Examples = @($all)
    $EmptyWorldExamples = @($all | Where-Object { $_.Empty })
    $DemoWorldExamples = @($all | Where-Object { -not $_.Empty } | Sort-Object { $_.Phase }, { $_.Cmdlet }, { $_.Index })
}

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Get-TestModulePath) -Force
    $env:VPPPS_HOME = New-TestHome
    $script:Common = [System.Management.Automation.PSCmdlet]::CommonParameters + [System.Management.Automation.PSCmdlet]::OptionalCommonParameters
    $script:DocsFolder = Join-Path $PSScriptRoot '../../docs/cmdlets'

    # What Get-Help says a parameter's attribute is, from the cmdlet's own metadata: one value when
    # every parameter set agrees, else the value per set.
    function Get-Expected($command, [string] $parameter, [scriptblock] $value) {
        $perSet = foreach ($set in $command.ParameterSets) {
            $p = $set.Parameters | Where-Object Name -eq $parameter
            if ($p) { [pscustomobject]@{ Set = $set.Name; Value = [string] (& $value $p) } }
        }
        [pscustomobject]@{ Values = @($perSet.Value | Select-Object -Unique); PerSet = @($perSet) }
    }
    function Should-MatchExpected([string] $actual, $expected, [string] $because) {
        if ($expected.Values.Count -eq 1) { $actual | Should -Be $expected.Values[0] -Because $because }
        else { foreach ($s in $expected.PerSet) { $actual | Should -Match "$([regex]::Escape($s.Value)) \([^)]*\b$([regex]::Escape($s.Set))\b" -Because $because } }
    }

    # The "Accept pipeline input?" lines of a help text, with what PowerShell cut off onto the next lines.
    function Remove-PipelineInputLine([string] $text) {
        $skipping = $false
        @(foreach ($line in $text -split '\r?\n') {
            if ($line -match '^\s+Accept pipeline input\?') { $skipping = $true; continue }
            if ($skipping -and $line.Trim() -and $line -notmatch '^\s+(Aliases|Accept wildcard characters\?|Dynamic\?|Position\?|Required\?|Default value)') { continue }
            $skipping = $false
            $line
        }) -join "`n"
    }

    # Get-Help -Full as text, at a width and in a culture (PowerShell wraps words only in some cultures).
    function Get-HelpText([string] $name, [int] $width, [string] $culture) {
        $saved = [cultureinfo]::CurrentCulture
        try { [cultureinfo]::CurrentCulture = $culture; Get-Help $name -Full | Out-String -Width $width }
        finally { [cultureinfo]::CurrentCulture = $saved }
    }
    function Remove-Section([string] $text, [string] $section) {
        $text -replace "(?ms)^$section\r?\n.*?(?=^\S)", ''
    }
    # The first word at $width that is not a word of the unwrapped text, with the line it is on.
    function Find-BrokenWord([string] $narrow, [string] $wide) {
        $a = @($narrow -split '\s+' | Where-Object { $_ })
        $b = @($wide -split '\s+' | Where-Object { $_ })
        for ($i = 0; $i -lt [Math]::Max($a.Count, $b.Count); $i++) {
            if ($a[$i] -cne $b[$i]) {
                $line = ($narrow -split '\r?\n') | Where-Object { $_ -match "(^|\s)$([regex]::Escape([string] $a[$i]))(\s|$)" } | Select-Object -First 1
                return "'$($a[$i])' where the text has '$($b[$i])', on the line '$line'"
            }
        }
        $null
    }
}

AfterAll {
    Stop-VppSimulator
    Remove-TestHome
}

Describe 'Help of <Name>' -ForEach $Cmdlets {
    BeforeAll {
        $script:Command = Get-Command $Name
        $script:Help = Get-Help $Name -Full
        $script:Parameters = @($Command.Parameters.Values | Where-Object Name -notin ([System.Management.Automation.PSCmdlet]::CommonParameters))
    }

    It 'has a page in docs/cmdlets that describes only parameters the cmdlet has' {
        $page = Join-Path $DocsFolder "$Name.md"
        Test-Path $page | Should -BeTrue -Because "every exported cmdlet needs docs/cmdlets/$Name.md"
        $described = @(Get-Content $page | Where-Object { $_ -match '^### -(\w+)' } | ForEach-Object { $Matches[1] })
        foreach ($parameter in $described) { $parameter | Should -BeIn $Command.Parameters.Keys -Because "docs/cmdlets/$Name.md describes -$parameter" }
    }

    It 'has a synopsis, a description and examples' {
        $Help.Synopsis | Should -Not -BeNullOrEmpty
        $Help.Synopsis | Should -Not -Match '^\s*\w+-\w+ \['   # not the syntax PowerShell makes up without help
        ($Help.Description.Text -join '') | Should -Not -BeNullOrEmpty
        @($Help.Examples.Example).Count | Should -BeGreaterThan 0
    }

    It 'has one syntax per parameter set, with the parameters of the set' {
        $items = @($Help.Syntax.SyntaxItem)
        $items.Count | Should -Be $Command.ParameterSets.Count
        $shown = @($items | ForEach-Object { (@($_.Parameter.Name) | Sort-Object) -join ',' })
        foreach ($set in $Command.ParameterSets) {
            $names = (@($set.Parameters.Name | Where-Object { $_ -notin ([System.Management.Automation.PSCmdlet]::CommonParameters) }) | Sort-Object) -join ','
            $names | Should -BeIn $shown -Because "the $($set.Name) set has $names"
        }
        # As shown: one line per set, each with the name, positional parameters in brackets.
        $text = Get-HelpText $Name 10000 ''
        $syntax = @(([regex]::Match($text, '(?ms)^SYNTAX\r?\n(.*?)(?=^\S)').Groups[1].Value -split '\r?\n') | Where-Object { $_.Trim() })
        $syntax.Count | Should -Be $Command.ParameterSets.Count -Because "SYNTAX shows each set:`n$($syntax -join "`n")"
        foreach ($line in $syntax) { $line.Trim() | Should -Match "^$Name( |$)" }
        foreach ($p in $Command.ParameterSets.Parameters | Where-Object { $_.Position -ge 0 }) {
            ($syntax -join "`n") | Should -Match "\[-$($p.Name)\]" -Because "-$($p.Name) is positional"
        }
    }

    It 'describes every parameter with its type, required, position, pipeline input, aliases and wildcards' {
        foreach ($parameter in $Parameters) {
            $because = "-$($parameter.Name) of $Name"
            $shown = @($Help.Parameters.Parameter) | Where-Object Name -eq $parameter.Name
            $shown | Should -Not -BeNullOrEmpty -Because "$because is listed"
            ($shown.Description.Text -join '').Trim() | Should -Not -BeNullOrEmpty -Because "$because is described"
            $shown.Type.Name | Should -Be $parameter.ParameterType.FullName -Because $because
            Should-MatchExpected $shown.Required (Get-Expected $Command $parameter.Name { ([string] $args[0].IsMandatory).ToLowerInvariant() }) "$because is required or not"
            Should-MatchExpected $shown.Position (Get-Expected $Command $parameter.Name { if ($args[0].Position -ge 0) { $args[0].Position } else { 'named' } }) "$because has its position"
            Should-MatchExpected $shown.PipelineInput (Get-Expected $Command $parameter.Name {
                    $how = @(if ($args[0].ValueFromPipeline) { 'ByValue' }; if ($args[0].ValueFromPipelineByPropertyName) { 'ByPropertyName' })
                    if ($how) { "True ($($how -join ', '))" } else { 'False' } }) "$because takes pipeline input or not"
            $wildcards = [bool] ($parameter.Attributes | Where-Object { $_ -is [System.Management.Automation.SupportsWildcardsAttribute] })
            $shown.Globbing | Should -Be ([string] $wildcards).ToLowerInvariant() -Because "$because accepts wildcards or not"
            foreach ($alias in $parameter.Aliases) { $shown.Aliases | Should -Match "\b$([regex]::Escape($alias))\b" -Because "$because has the alias $alias" }
            if (-not $parameter.Aliases) { $shown.Aliases | Should -Be 'none' -Because $because }
            ([string] $shown.DefaultValue).Trim() | Should -Not -BeNullOrEmpty -Because "$because shows a default value (None when there is none)"
        }
    }

    It 'lists its inputs: the types of the parameters that take pipeline input' {
        $inputs = @($Help.InputTypes.InputType | ForEach-Object { $_.Type.Name })
        $inputs | Should -Not -BeNullOrEmpty
        $piped = @($Parameters | Where-Object { $_.Attributes | Where-Object { $_ -is [System.Management.Automation.ParameterAttribute] -and ($_.ValueFromPipeline -or $_.ValueFromPipelineByPropertyName) } })
        if ($piped) { foreach ($p in $piped) { $p.ParameterType.FullName | Should -BeIn $inputs -Because "-$($p.Name) takes pipeline input" } }
        else { $inputs | Should -Be @('None') }
    }

    It 'lists its outputs: the types of its [OutputType]' {
        $outputs = @($Help.ReturnValues.ReturnValue | ForEach-Object { $_.Type.Name })
        $outputs | Should -Not -BeNullOrEmpty
        foreach ($type in $Command.OutputType.Name) {
            $(if ($type -eq 'System.Void') { 'None' } else { $type }) | Should -BeIn $outputs
        }
    }

    It 'has related links to the cmdlets it mentions' {
        $links = @($Help.RelatedLinks.NavigationLink)
        $links.Count | Should -BeGreaterThan 0
        foreach ($link in $links) {
            if (-not $link.Uri) { Get-Command $link.LinkText -Module VppPS -ErrorAction Ignore | Should -Not -BeNullOrEmpty -Because "the related link '$($link.LinkText)' names a cmdlet of VppPS" }
        }
    }

    It 'fits 80 columns without cutting a word (<_>)' -ForEach 'en-US', 'invariant culture' {
        $culture = if ($_ -eq 'invariant culture') { '' } else { $_ }
        $narrow = Get-HelpText $Name 80 $culture
        $wide = Get-HelpText $Name 10000 $culture
        if (-not $culture) {
            # Without word wrap (the invariant culture, as under LANG=C) PowerShell cuts the syntax
            # lines and a parameter's "Accept pipeline input?" line itself, wherever the width ends
            # (the latter is long when parameter sets differ: "False (ByTokenObject); True (...)");
            # every other line is VppPS's to keep short.
            $narrow = Remove-Section $narrow 'SYNTAX'; $wide = Remove-Section $wide 'SYNTAX'
            $narrow = Remove-PipelineInputLine $narrow; $wide = Remove-PipelineInputLine $wide
        }
        Find-BrokenWord $narrow $wide | Should -BeNullOrEmpty -Because "Get-Help $Name -Full at 80 columns in the $_ cuts no word:`n$narrow"
    }
}

Describe 'Help example <Index> of <Cmdlet>' -ForEach $Examples {
    It 'parses, and binds each VppPS command in it to one parameter set' {
        $errors = $null
        $ast = [System.Management.Automation.Language.Parser]::ParseInput($Code, [ref] $null, [ref] $errors)
        $errors | Should -BeNullOrEmpty -Because "the example parses:`n$Code"
        $calls = @($ast.FindAll({ $args[0] -is [System.Management.Automation.Language.CommandAst] }, $true))
        @($calls | Where-Object { $_.GetCommandName() -eq $Cmdlet }).Count | Should -BeGreaterThan 0 -Because "an example of $Cmdlet runs it:`n$Code"
        foreach ($call in $calls) {
            $name = $call.GetCommandName()
            if ($name -notmatch '^\w+-Vpp\w+$') { continue }
            $command = Get-Command $name -Module VppPS -ErrorAction Ignore
            $command | Should -Not -BeNullOrEmpty -Because "$name in the example is a VppPS cmdlet:`n$Code"
            $because = "$($call.Extent.Text)"
            $binding = [System.Management.Automation.Language.StaticParameterBinder]::BindCommand($call, $true)
            @($binding.BindingExceptions.Keys | ForEach-Object { "${_}: $($binding.BindingExceptions[$_].BindingException.Message)" }) | Should -BeNullOrEmpty -Because $because
            $bound = @($binding.BoundParameters.Keys | Where-Object { $_ -notin $Common })
            foreach ($parameter in $bound) { $parameter | Should -BeIn $command.Parameters.Keys -Because $because }
            # The sets that have every bound parameter and whose required ones are all given (or,
            # for a command fed by a pipeline, can come from the pipeline).
            $piped = $call.Parent -is [System.Management.Automation.Language.PipelineAst] -and $call.Parent.PipelineElements.IndexOf($call) -gt 0
            $viable = @(foreach ($set in $command.ParameterSets) {
                    if ($bound | Where-Object { $_ -notin $set.Parameters.Name }) { continue }
                    $missing = $set.Parameters | Where-Object { $_.IsMandatory -and $_.Name -notin $bound -and -not ($piped -and ($_.ValueFromPipeline -or $_.ValueFromPipelineByPropertyName)) }
                    if (-not $missing) { $set }
                })
            $viable.Count | Should -BeGreaterThan 0 -Because "a parameter set of $name takes $($bound -join ', ') in: $because"
            if ($viable.Count -gt 1) {
                # PowerShell picks the default set when it is one of them; otherwise it cannot choose.
                @($viable | Where-Object IsDefault).Count | Should -Be 1 -Because "one parameter set of $name resolves for $($bound -join ', ') in: $because (candidates: $($viable.Name -join ', '))"
            }
        }
    }
}

Describe 'Help examples that upload tokens or start simulators, each in an empty world' {
    It 'example <Index> of <Cmdlet> runs' -ForEach $EmptyWorldExamples {
        if ($Skip) { Set-ItResult -Skipped -Because $Skip; return }
        $env:VPPPS_HOME = New-TestHome
        $work = New-Item -ItemType Directory (Join-Path $env:VPPPS_HOME 'work')
        Push-Location $work
        try {
            Start-VppSimulator -Scenario Demo -TokenDirectory $work | Out-Null
            Set-VppConfiguration -StatusPollIntervalSeconds 0 -Confirm:$false | Out-Null
            & {
                $ErrorActionPreference = 'Stop'; $ConfirmPreference = 'None'; $WarningPreference = 'SilentlyContinue'
                & ([scriptblock]::Create($Code)) 4>$null 6>$null | Out-String -Width 120 | Out-Null
            }
        }
        finally {
            Pop-Location
            Stop-VppSimulator
        }
    }
}

Describe 'Help examples in the demo world' {
    BeforeAll {
        # The demo's world, as demo/demo.ps1 makes it: three schools' tokens, a sync, an iPad cart,
        # science teachers, an Oak Park cart short of Notability licenses; the token files and the
        # simulator's developer key in the folder the examples run in.
        $env:VPPPS_HOME = New-TestHome
        $script:Work = New-Item -ItemType Directory (Join-Path $env:VPPPS_HOME 'work')
        $script:Sim = Start-VppSimulator -Scenario Demo -TokenDirectory $Work
        Copy-Item (Join-Path $PSScriptRoot '../../docs/demo-developer-key.p8') $Work
        Set-VppConfiguration -StatusPollIntervalSeconds 0 -Confirm:$false | Out-Null
        $Sim.TokenFiles | Add-VppToken -AppleId 'vpp-admin@riversideusd.example' -AccountType Education -WarningAction SilentlyContinue | Out-Null
        Sync-VppToken -All | Out-Null
        New-VppGroup -Name 'RHS Cart A' -Kind Device -Description 'Science wing iPad cart' | Out-Null
        1..24 | ForEach-Object { [pscustomobject]@{ SerialNumber = 'DMPRHSA{0:D5}' -f $_; DeviceName = "RHS-A-$_"; OperatingSystem = 'iPadOS' } } |
            Add-VppGroupMember -Group 'RHS Cart A'
        New-VppGroup -Name 'RHS Science Teachers' -Kind User | Out-Null
        @(
            [pscustomobject]@{ UserPrincipalName = 'j.rivera@riversideusd.org'; Mail = 'j.rivera@riversideusd.org' }
            [pscustomobject]@{ UserPrincipalName = 'p.nguyen@riversideusd.org'; Mail = 'p.nguyen@riversideusd.org'; ManagedAppleId = 'p.nguyen@appleid.riversideusd.org' }
        ) | Add-VppGroupMember -Group 'RHS Science Teachers'
        Set-VppAssignment -App Keynote -Token 'Riverside High School' -Group 'RHS Cart A' -Intent Required | Out-Null
        Set-VppAssignment -App Frankenstein -Group 'RHS Science Teachers' -Intent Required | Out-Null
        New-VppGroup -Name 'OPE Cart' -Kind Device | Out-Null
        1..24 | ForEach-Object { [pscustomobject]@{ SerialNumber = 'DMPOPE{0:D5}' -f $_ } } | Add-VppGroupMember -Group 'OPE Cart'
        Set-VppAssignment -App Notability -Token 'Oak Park Elementary' -Group 'OPE Cart' -Intent Required -AllowShortage -WarningAction SilentlyContinue | Out-Null

        # The example's code with each pipeline that starts with a Get- command of VppPS made to fail
        # when that command gives nothing: an example that pipes nothing on shows nothing either.
        function Add-OutputCheck([string] $code) {
            $ast = [System.Management.Automation.Language.Parser]::ParseInput($code, [ref] $null, [ref] $null)
            $firsts = @($ast.FindAll({ param($a)
                        $a -is [System.Management.Automation.Language.PipelineAst] -and $a.PipelineElements.Count -gt 1 -and
                        $a.PipelineElements[0] -is [System.Management.Automation.Language.CommandAst] -and $a.PipelineElements[0].GetCommandName() -like 'Get-Vpp*'
                    }, $false) | ForEach-Object { $_.PipelineElements[0] } | Sort-Object { $_.Extent.StartOffset } -Descending)
            foreach ($first in $firsts) {
                $text = $first.Extent.Text
                $checked = "& { `$found = @($text); if (`$found.Count -eq 0) { throw 'In the demo world nothing comes out of: $($text.Replace("'", "''"))' }; `$found }"
                $code = $code.Substring(0, $first.Extent.StartOffset) + $checked + $code.Substring($first.Extent.EndOffset)
            }
            $code
        }
    }
    AfterAll { Stop-VppSimulator }

    It 'example <Index> of <Cmdlet> runs, and each Get- pipeline in it starts with something' -ForEach $DemoWorldExamples {
        if ($Skip) { Set-ItResult -Skipped -Because $Skip; return }
        Push-Location $Work
        try {
            & {
                $ErrorActionPreference = 'Stop'; $ConfirmPreference = 'None'; $WarningPreference = 'SilentlyContinue'
                $checked = if ($MayFindNothing) { $Code } else { Add-OutputCheck $Code }
                & ([scriptblock]::Create($checked)) 4>$null 6>$null | Out-String -Width 120 | Out-Null
            }
        }
        finally { Pop-Location }
    }
}
