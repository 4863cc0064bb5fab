# What a person sees: every default view of module/VppPS.format.ps1xml rendered at 80 and at 120
# columns with the demo's data, checked column by column against the objects.

BeforeDiscovery {
    [xml] $format = Get-Content -Raw (Join-Path (Split-Path $env:VPPPS_TEST_MODULE) 'VppPS.format.ps1xml')
    $ViewNames = @($format.Configuration.ViewDefinitions.View | ForEach-Object { @{ Name = $_.Name } })
}

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Join-Path $PSScriptRoot 'SimulatorHelpers.psm1') -Force
    Import-Module (Get-TestModulePath) -Force
    $env:VPPPS_HOME = New-TestHome
    $script:Sim = Start-VppSimulator -Scenario Demo
    Set-VppConfiguration -StatusPollIntervalSeconds 0 -Confirm:$false | Out-Null

    # The demo, as an admin runs it: tokens, a sync, groups, members, assignments, a direct license.
    $tokens = $Sim.TokenFiles | Add-VppToken -AppleId 'vpp-admin@riversideusd.example' -AccountType Education -WarningAction SilentlyContinue
    Sync-VppToken -All | Out-Null
    New-VppGroup -Name 'RHS Cart A' -Kind Device -Description 'Science wing iPad cart' | Out-Null
    $devices = 1..6 | ForEach-Object { [pscustomobject]@{ SerialNumber = 'DMPRHSA{0:D5}' -f $_; DeviceName = "RHS-A-$_"; OperatingSystem = 'iPadOS'; Owner = 'j.rivera@riversideusd.org' } } |
        Add-VppGroupMember -Group 'RHS Cart A' -PassThru
    New-VppGroup -Name 'RHS Science Teachers' -Kind User -Description 'Science department' | Out-Null
    $users = @(
        [pscustomobject]@{ UserPrincipalName = 'j.rivera@riversideusd.org'; Mail = 'j.rivera@riversideusd.org'; DisplayName = 'Jordan Rivera' }
        [pscustomobject]@{ UserPrincipalName = 'p.nguyen@riversideusd.org'; Mail = 'p.nguyen@riversideusd.org'; DisplayName = 'Phuong Nguyen'; ManagedAppleId = 'p.nguyen@appleid.riversideusd.org' }
    ) | Add-VppGroupMember -Group 'RHS Science Teachers' -PassThru
    $assigned = @(
        Set-VppAssignment -App Keynote -Token 'Riverside High School' -Group 'RHS Cart A' -Intent Required
        Set-VppAssignment -App Frankenstein -Group 'RHS Science Teachers' -Intent Required
    )
    $plan = Set-VppAssignment -App Pages -Token 'Riverside High School' -Group 'RHS Cart A' -Intent Required -WhatIf
    $applied = Add-VppAppLicense -App GarageBand -Token 'Riverside High School' -Device DMPRHSA00001 -Force
    $csv = Join-Path $env:VPPPS_HOME 'directory.csv'
    Set-Content $csv -Value @(
        'Type,UserPrincipalName,Mail,ManagedAppleId,DisplayName,Id,SerialNumber,DeviceName,Owner,Platform,Groups'
        'User,former.teacher@riversideusd.org,former.teacher@riversideusd.org,,Former Teacher,,,,,,Import Users'
        'Device,,,,,,DMPIMP00001,Library iPad 1,former.teacher@riversideusd.org,iPadOS,Import iPads'
    )
    $imported = Import-VppDirectory -Path $csv
    Remove-VppDirectoryUser -UserPrincipalName former.teacher@riversideusd.org -Confirm:$false
    # A token another MDM took over and one that expired: long states and a failed sync with its error.
    Invoke-SimControl $Sim 'locations/Lincoln Middle School/claim' -Body @{ name = 'Jamf Pro'; id = 'jamf-42'; metadata = 'jamf.riversideusd.example' } | Out-Null
    Invoke-SimControl $Sim 'locations/Oak Park Elementary/expire' | Out-Null
    Sync-VppToken -All -ErrorAction SilentlyContinue -WarningAction SilentlyContinue | Out-Null

    # A schedule as Register-VppSyncSchedule writes it (built directly: registering would touch this machine's cron).
    $engine = [AppDomain]::CurrentDomain.GetAssemblies() | Where-Object { $_.GetName().Name -eq 'VppPS.Engine' }
    $scheduleType = $engine.GetType('VppPS.Engine.Sync.VppSyncSchedule')
    $schedule = [Activator]::CreateInstance($scheduleType)
    $values = @{
        Platform = [Enum]::Parse($engine.GetType('VppPS.Engine.Sync.SyncSchedulePlatform'), 'Cron'); IntervalHours = [Nullable[int]] 12
        Schedule = '17 */12 * * *'; Command = 'pwsh -NoProfile -Command Sync-VppToken -All'; LogPath = '/var/log/vppps/sync.log'; Registered = $true; Entry = '17 */12 * * * pwsh'
    }
    foreach ($name in $values.Keys) { $scheduleType.GetProperty($name).SetValue($schedule, $values[$name]) }

    # Objects of every kind the cmdlets write, to render with each view that applies to them.
    $script:Samples = [System.Collections.Generic.List[object]]::new()
    function Add-Sample([object[]] $objects) { foreach ($o in $objects) { $Samples.Add($o) } }
    # Objects of any of the types (a view may be selected by several).
    function Get-Sample([string[]] $type) { $Samples | Where-Object { $names = $_.PSObject.TypeNames; @($type | Where-Object { $names -contains $_ }).Count -gt 0 } }
    Add-Sample (Get-VppConfiguration)
    Add-Sample (Get-VppAuditLog -First 40)
    Add-Sample (Get-VppToken)
    Add-Sample (Test-VppToken -WarningAction SilentlyContinue)
    Add-Sample $Sim
    Add-Sample (Get-VppSyncHistory)
    Add-Sample (Get-VppLicensedApp)
    Add-Sample (Get-VppLicensedBook)
    Add-Sample (Get-VppLicensedApp -Summary)
    Add-Sample (Get-VppSubscription)
    Add-Sample (Get-VppSubscription -Summary)
    Add-Sample (Get-VppSubscriptionSeat)
    Add-Sample (Get-VppLicense)
    Add-Sample (Get-VppUser)
    Add-Sample (Get-VppUser -Status Registered)
    Add-Sample $schedule
    Add-Sample (Get-VppGroup)
    Add-Sample (Get-VppGroupMember -Group 'RHS Science Teachers', 'RHS Cart A')
    Add-Sample ($devices + $users)
    Add-Sample (Get-VppDirectoryUser -IncludeRemoved)
    Add-Sample (Get-VppDevice -IncludeRemoved)
    Add-Sample $imported
    Add-Sample $assigned
    Add-Sample $plan
    Add-Sample $applied
    Add-Sample (Get-VppStore)
    Add-Sample (Copy-VppState -Destination (Join-Path $env:VPPPS_HOME 'copy') -Confirm:$false)

    # The format file, read as the views it declares.
    [xml] $format = Get-Content -Raw (Join-Path (Split-Path (Get-TestModulePath)) 'VppPS.format.ps1xml')
    $script:Views = foreach ($view in $format.Configuration.ViewDefinitions.View) {
        $table = $view.TableControl
        $columns = if ($table) {
            $headers = @($table.TableHeaders.TableColumnHeader)
            $items = @($table.TableRowEntries.TableRowEntry.TableColumnItems.TableColumnItem)
            for ($i = 0; $i -lt $headers.Count; $i++) {
                [pscustomobject]@{
                    Label = $headers[$i].Label; Width = if ($headers[$i].Width) { [int] $headers[$i].Width } else { 0 }
                    Property = $items[$i].PropertyName; Script = $items[$i].ScriptBlock
                }
            }
        } else {
            foreach ($item in $view.ListControl.ListEntries.ListEntry.ListItems.ListItem) {
                [pscustomobject]@{ Label = if ($item.Label) { $item.Label } else { $item.PropertyName }; Width = 0; Property = $item.PropertyName; Script = $item.ScriptBlock }
            }
        }
        [pscustomobject]@{
            Name = $view.Name; Type = @($view.ViewSelectedBy.TypeName); Kind = if ($table) { 'Table' } else { 'List' }
            GroupBy = $view.GroupBy.PropertyName; GroupLabel = $view.GroupBy.Label; Columns = @($columns)
        }
    }

    # An object rendered with a view as a console of $width columns shows it: the console lays
    # tables out in one column less (it keeps the last one free), as Out-String at $width - 1 does.
    function Show-WithView($view, [object[]] $objects, [int] $width) {
        if ($view.Kind -eq 'Table') { $objects | Format-Table -View $view.Name | Out-String -Width ($width - 1) }
        else { $objects | Format-List -View $view.Name | Out-String -Width ($width - 1) }
    }

    # What a column shows for an object, as text: the property, or the script block with $_ set.
    # A column must name members the objects of its view have: a property the object does not have
    # would show blank for it and blank is what the test expects then.
    function Get-CellText($column, $object, [object[]] $viewObjects = @($object)) {
        $members = @($viewObjects | ForEach-Object { $_.PSObject.Members.Name }) | Sort-Object -Unique
        $used = if ($column.Property) { @($column.Property) } else { @(Get-ItemMember $column.Script) }
        foreach ($name in $used) {
            $name | Should -BeIn $members -Because "the column $($column.Label) shows `$_.$name, and the objects of its view ($(@($viewObjects | ForEach-Object { $_.PSObject.TypeNames[0] }) | Sort-Object -Unique)) have no such member"
        }
        $value = if ($column.Property) { $object.($column.Property) }
                 else { $object | ForEach-Object ([scriptblock]::Create($column.Script)) }
        "$value"
    }

    # The members a script block reads of $_ itself (not of the $_ of a script block inside it).
    function Get-ItemMember([string] $script) {
        $ast = [scriptblock]::Create($script).Ast
        $ast.FindAll({ param($a)
                $a -is [System.Management.Automation.Language.MemberExpressionAst] -and
                $a.Expression -is [System.Management.Automation.Language.VariableExpressionAst] -and $a.Expression.VariablePath.UserPath -in '_', 'PSItem' -and
                $a.Member -is [System.Management.Automation.Language.StringConstantExpressionAst]
            }, $true) |
            Where-Object { $inner = $_.Parent; while ($inner -and $inner -isnot [System.Management.Automation.Language.ScriptBlockAst]) { $inner = $inner.Parent }; $inner -eq $ast } |
            ForEach-Object { $_.Member.Value } | Sort-Object -Unique
    }

    # The columns that hold names, e-mail addresses and targets: never broken inside a word.
    $script:KeyLabels = 'Name', 'Token', 'TokenName', 'Target', 'Holder', 'Email', 'User', 'UserPrincipalName', 'DisplayName', 'ManagedAppleId',
        'Owner', 'Group', 'App', 'Subscription', 'Member', 'SerialNumber', 'DeviceName', 'Command'
    # Views whose key columns are not checked, and why (none today).
    $script:KeyCheckExempt = @{}

    # Whether the lines of a cell break $value only between words (at spaces, after a hyphen or colon, before an @).
    function Test-WholeWords([string] $value, [string[]] $lines) {
        $lines = @($lines | ForEach-Object { $_.Trim() } | Where-Object { $_ })
        $breaks = [System.Collections.Generic.HashSet[int]]::new(); $at = 0
        foreach ($c in $value.ToCharArray()) {
            if ([char]::IsWhiteSpace($c)) { [void] $breaks.Add($at); continue }
            $at++
            if ($c -eq '@') { [void] $breaks.Add($at - 1) }
            if ($c -in '-', ':') { [void] $breaks.Add($at) }
        }
        $at = 0
        foreach ($line in $lines | Select-Object -SkipLast 1) {
            $at += (Compress $line).Length
            if (-not $breaks.Contains($at)) { return $false }
        }
        $true
    }
    function Compress([string] $text) { $text -replace '\s+', '' }

    # The cells of a table rendered for one object: column i starts where the widths before it end.
    function Get-RenderedCells($view, [string] $text, [switch] $AsLines) {
        $lines = $text -split "`r?`n"
        $dash = [array]::FindIndex($lines, [Predicate[string]] { param($l) $l -match '^\s*-+( +-+)*\s*$' })
        $dash | Should -BeGreaterThan 0 -Because "the $($view.Name) table has a header"
        $starts = @(0); foreach ($c in $view.Columns | Select-Object -SkipLast 1) { $starts += $starts[-1] + $c.Width + 1 }
        $body = $lines[($dash + 1)..($lines.Count - 1)] | Where-Object { $_.Trim() }
        for ($i = 0; $i -lt $view.Columns.Count; $i++) {
            $end = if ($i -lt $view.Columns.Count - 1) { $starts[$i] + $view.Columns[$i].Width } else { [int]::MaxValue }
            $cell = @($body | ForEach-Object { if ($_.Length -gt $starts[$i]) { $_.Substring($starts[$i], [math]::Min($end, $_.Length) - $starts[$i]) } })
            if ($AsLines) { , $cell } else { $cell -join ' ' }
        }
    }

    # The values of a list rendered for one object, by label (continuation lines joined).
    function Get-RenderedListValues([string] $text) {
        $values = [ordered]@{}; $current = $null
        foreach ($line in $text -split "`r?`n") {
            if ($line -match '^(\S[^:]*?)\s*: ?(.*)$') { $current = $Matches[1]; $values[$current] = $Matches[2] }
            elseif ($current -and $line.Trim()) { $values[$current] += ' ' + $line.Trim() }
        }
        $values
    }

}

AfterAll {
    Stop-VppSimulator
    Stop-TestChildren
    Remove-TestHome
}

Describe 'Default views' {
    It 'has realistic objects for every view of the format file, and the first view of a type is its default' {
        foreach ($view in $Views) {
            @(Get-Sample $view.Type).Count | Should -BeGreaterThan 0 -Because "the test needs objects of $($view.Type) to render the $($view.Name) view"
        }
        foreach ($group in $Samples | Group-Object { $_.PSObject.TypeNames[0] }) {
            $view = $Views | Where-Object Type -eq $group.Name | Select-Object -First 1
            if (-not $view) { continue }
            $group.Group | Out-String -Width 119 | Should -BeExactly (Show-WithView $view $group.Group 120) -Because "$($group.Name) is shown with the $($view.Name) view by default"
        }
    }

    It 'gives a width to every table column but the last, and fits 80 columns with them' {
        foreach ($view in $Views | Where-Object Kind -eq 'Table') {
            @($view.Columns | Select-Object -SkipLast 1 | Where-Object Width -eq 0) | Should -BeNullOrEmpty -Because "$($view.Name): a column without a width in the middle is sized by its data and can push the others out of 80 columns"
            $last = $view.Columns[-1]
            $needed = ($view.Columns | Measure-Object Width -Sum).Sum + $view.Columns.Count - 1 + $(if ($last.Width) { 0 } else { $last.Label.Length })
            $needed | Should -BeLessOrEqual 79 -Because "$($view.Name) must fit an 80-column console"
        }
    }
}

Describe 'The <Name> view' -ForEach $ViewNames {
    It 'shows every column whole at <_> columns' -ForEach 80, 120 {
        $width = $_
        $view = $Views | Where-Object Name -eq $Name
        $objects = @(Get-Sample $view.Type)
        $text = Show-WithView $view $objects $width
        $because = "the $($view.Name) view at $width columns:`n$text"
        # Nothing cut: no line wider than the console, no value shortened with an ellipsis.
        ($text -split "`r?`n" | Measure-Object Length -Maximum).Maximum | Should -BeLessOrEqual $width -Because $because
        $text | Should -Not -Match '…' -Because $because
        if ($view.Kind -eq 'Table') {
            # Headers on one line (not stacked a letter per line), each label whole at its column.
            $lines = $text -split "`r?`n"
            $headers = @(for ($i = 1; $i -lt $lines.Count; $i++) { if ($lines[$i] -match '^\s*-+( +-+)*\s*$') { $lines[$i - 1] } })
            $headers.Count | Should -BeGreaterThan 0 -Because $because
            foreach ($header in $headers) {
                $cells = @(Get-RenderedCells $view ($header + "`n" + ($header -replace '\S', '-') + "`n" + $header))
                for ($i = 0; $i -lt $view.Columns.Count; $i++) { $cells[$i].Trim() | Should -BeExactly $view.Columns[$i].Label -Because $because }
            }
        }
        # Every column shows what each object holds, whole (wrapped lines joined).
        foreach ($object in $objects) {
            $one = Show-WithView $view $object $width
            $because = "the $($view.Name) view at $width columns shows this object so:`n$one"
            if ($view.GroupBy) {
                $one | Should -Match ([regex]::Escape("$($view.GroupLabel): $($object.($view.GroupBy))")) -Because $because
            }
            if ($view.Kind -eq 'Table') {
                $cells = @(Get-RenderedCells $view $one)
                $cellLines = @(Get-RenderedCells $view $one -AsLines)
                for ($i = 0; $i -lt $view.Columns.Count; $i++) {
                    $expected = Get-CellText $view.Columns[$i] $object $objects
                    Compress $cells[$i] | Should -BeExactly (Compress $expected) -Because "$because(column $($view.Columns[$i].Label))"
                    if ($view.Columns[$i].Label -in $KeyLabels -and -not $KeyCheckExempt.ContainsKey($view.Name)) {
                        Test-WholeWords $expected $cellLines[$i] | Should -BeTrue -Because "$because(column $($view.Columns[$i].Label) breaks '$expected' inside a word)"
                    }
                }
            } else {
                $values = Get-RenderedListValues $one
                foreach ($column in $view.Columns) {
                    Compress $values[$column.Label] | Should -BeExactly (Compress (Get-CellText $column $object $objects)) -Because "$because(item $($column.Label))"
                }
            }
        }
    }
}

Describe 'A real console of 80 columns' {
    It 'shows books, licenses and the audit log with names, e-mail addresses and targets whole' {
        # A pseudo-terminal of 80 columns (script(1) from util-linux), with pwsh writing to it as to a person.
        if (-not (Get-Command script -CommandType Application -ErrorAction Ignore)) { Set-ItResult -Skipped -Because 'script(1) is not installed: no pseudo-terminal to render in'; return }
        $root = Join-Path $PSScriptRoot '../..'
        $probe = Join-Path $env:VPPPS_HOME 'console.ps1'
        Set-Content $probe -Value @(
            "`$WarningPreference = 'SilentlyContinue'; Import-Module '$(Get-TestModulePath)'"
            '"WIDTH=$($Host.UI.RawUI.WindowSize.Width)"'
            "Get-VppLicensedBook -Name 'The Adventures of Tom Sawyer' | Out-Default"
            "Get-VppLicense -App 'The Adventures of Tom Sawyer' | Select-Object -First 1 | Out-Default"
            "Get-VppAuditLog -First 1 -Command Set-VppAssignment | Out-Default"
        )
        $env:NO_COLOR = '1'
        try {
            Push-Location $root
            $raw = script -qec "stty cols 80 rows 50; dotnet pwsh -NoLogo -NoProfile -File '$probe'" /dev/null 2>&1 | Out-String
        }
        finally { Pop-Location; Remove-Item Env:NO_COLOR }
        if ($raw -match 'not a tty|Inappropriate ioctl|cannot open') { Set-ItResult -Skipped -Because "no pseudo-terminal here: $raw"; return }
        $text = ($raw -replace '\x1b\[[0-9;?]*[A-Za-z]', '' -replace '\x1b\][^\x07]*\x07', '' -replace "`r", '')
        $because = "a console of 80 columns shows:`n$text"
        $text | Should -Match 'WIDTH=80' -Because $because
        ($text -split "`n" | Measure-Object Length -Maximum).Maximum | Should -BeLessOrEqual 80 -Because $because
        # Each table as the view draws it: the cells of the key columns broken only between words.
        foreach ($name in 'LicensedAsset', 'LicenseHolder', 'AuditEntry') {
            $view = $Views | Where-Object Name -eq $name
            $header = ($view.Columns | Select-Object -First 1).Label
            $start = [regex]::Match($text, "(?m)^$header +$([regex]::Escape($view.Columns[1].Label))")
            $start.Success | Should -BeTrue -Because "the $name table is shown: $because"
            $table = ($text.Substring($start.Index) -split "`n`n")[0]
            $cells = @(Get-RenderedCells $view $table -AsLines)
            $object = switch ($name) {
                'LicensedAsset' { Get-VppLicensedBook -Name 'The Adventures of Tom Sawyer' }
                'LicenseHolder' { Get-VppLicense -App 'The Adventures of Tom Sawyer' | Select-Object -First 1 }
                'AuditEntry' { Get-VppAuditLog -First 1 -Command Set-VppAssignment }
            }
            for ($i = 0; $i -lt $view.Columns.Count; $i++) {
                $expected = Get-CellText $view.Columns[$i] $object
                Compress ($cells[$i] -join ' ') | Should -BeExactly (Compress $expected) -Because "$because(column $($view.Columns[$i].Label) of $name)"
                if ($view.Columns[$i].Label -in $KeyLabels) { Test-WholeWords $expected $cells[$i] | Should -BeTrue -Because "$because(column $($view.Columns[$i].Label) of $name)" }
            }
        }
    }
}
