BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Join-Path $PSScriptRoot 'SimulatorHelpers.psm1') -Force
    Import-Module (Get-TestModulePath) -Force
    $env:VPPPS_HOME = New-TestHome
    $script:Sim = Start-VppSimulator -Scenario Demo
    $Sim.TokenFiles | Add-VppToken -AppleId 'vpp@riversideusd.example' -AccountType Education -WarningAction SilentlyContinue | Out-Null
    $script:Out = Join-Path $env:VPPPS_HOME 'reports'
    New-Item -ItemType Directory $Out | Out-Null
}
AfterAll { Stop-VppSimulator; Stop-TestChildren; Remove-TestHome }

Describe 'Export-VppLicenseReport' {
    It 'warns that an empty report needs a sync first' {
        Export-VppLicenseReport -Path (Join-Path $Out 'empty.html') -WarningVariable warned -WarningAction SilentlyContinue
        "$warned" | Should -Match 'Sync-VppToken -All'
        Get-Content -Raw (Join-Path $Out 'empty.html') | Should -Match 'No apps or books yet'
    }

    It 'writes a CSV file whose counts are the inventory''s, one line per app or book and token, and per subscription and token' {
        Sync-VppToken -All -WarningAction SilentlyContinue | Out-Null
        $file = Export-VppLicenseReport -Path (Join-Path $Out 'licenses.csv') -PassThru
        $file | Should -BeOfType [System.IO.FileInfo]
        $all = @(Import-Csv $file.FullName)
        $rows = @($all | Where-Object Type -ne 'Subscription')
        $inventory = @(Get-VppLicensedApp) + @(Get-VppLicensedBook)
        $rows.Count | Should -Be $inventory.Count
        $subscriptions = @(Get-VppSubscription)
        @($all | Where-Object Type -eq 'Subscription' | ForEach-Object { "$($_.Token)|$($_.AdamId)|$($_.TotalCount)|$($_.AssignedCount)|$($_.AvailableCount)" } | Sort-Object) |
            Should -Be @($subscriptions | ForEach-Object { "$($_.Token)|$($_.AdamId)|$($_.Total)|$($_.Assigned)|$($_.Available)" } | Sort-Object)
        foreach ($asset in $inventory) {
            $row = $rows | Where-Object { $_.Token -eq $asset.Token -and $_.AdamId -eq $asset.AdamId -and $_.PricingParam -eq $asset.PricingParam }
            $row.Type | Should -Be $asset.ProductType
            [long] $row.AssignedCount | Should -Be $asset.AssignedCount
            if ($asset.Unlimited) { $row.Unlimited | Should -Be 'True'; $row.TotalCount | Should -BeNullOrEmpty }
            else { [long] $row.TotalCount | Should -Be $asset.TotalCount; [long] $row.AvailableCount | Should -Be $asset.AvailableCount }
        }
    }

    It 'writes an HTML page that opens with a summary of the tokens piped in, then what runs out, charts, and every app per token' {
        New-VppGroup -Name 'Report Cart' -Kind Device | Out-Null
        1..3 | ForEach-Object { [pscustomobject]@{ SerialNumber = 'RPT{0:D5}' -f $_ } } | Add-VppGroupMember -Group 'Report Cart'
        Set-VppAssignment -App Keynote -Token 'Riverside High School' -Group 'Report Cart' -Intent Required | Out-Null
        Get-VppToken -Name 'Riverside*', 'Oak*' | Export-VppLicenseReport -Path (Join-Path $Out 'riverside.html')
        $html = Get-Content -Raw (Join-Path $Out 'riverside.html')
        $sections = 'summary', 'running-out', 'waiting', 'charts', 'all' | ForEach-Object { $html.IndexOf("<h2 id=""$_""") }
        $sections | Should -Not -Contain -1
        $sections | Should -Be ($sections | Sort-Object)
        $summary = $html.Substring($sections[0], $sections[1] - $sections[0])
        $summary | Should -Match '2 tokens \(<span class="error">1 needs attention</span>\)'
        $summary | Should -Match '<a href="#t2">Riverside High School</a></td><td class="l"><span class="ok">Healthy</span>'
        $summary | Should -Match '<a href="#t1">Oak Park Elementary</a></td><td class="l"><span class="warn">Expires in 1[12] days</span>'
        $html | Should -Not -Match 'Lincoln Middle School'
        ([regex]::Matches($html, '<svg role="img"')).Count | Should -Be 2
        $html | Should -Match '<details id="t2" open><summary><h3>Riverside High School</h3>'
        $html | Should -Match '<tr><td class="l">Keynote</td><td class="l">App</td><td>120</td><td>7</td><td>113</td><td>0</td><td>5\.8 %</td><td>3</td><td></td></tr>'
        $html | Should -Not -Match '<script|https?://(?!www\.w3\.org/2000/svg)'
    }

    It 'lists the members waiting for a license first among what runs out, and the CSV counts them' {
        New-VppGroup -Name 'Report OPE Cart' -Kind Device | Out-Null
        1..9 | ForEach-Object { [pscustomobject]@{ SerialNumber = 'RPTOPE{0:D4}' -f $_ } } | Add-VppGroupMember -Group 'Report OPE Cart'
        Set-VppAssignment -App Notability -Token 'Oak Park Elementary' -Group 'Report OPE Cart' -Intent Required -AllowShortage -WarningAction SilentlyContinue | Out-Null
        Export-VppLicenseReport -Path (Join-Path $Out 'waiting.html')
        Export-VppLicenseReport -Path (Join-Path $Out 'waiting.csv')
        $row = Import-Csv (Join-Path $Out 'waiting.csv') | Where-Object { $_.Token -eq 'Oak Park Elementary' -and $_.Name -eq 'Notability' }
        [int] $row.Waiting | Should -Be 2
        [int] $row.AvailableCount | Should -Be 0
        $html = Get-Content -Raw (Join-Path $Out 'waiting.html')
        $html | Should -Match '2 members waiting for a license'
        $running = $html.Substring($html.IndexOf('<h2 id="running-out"'))
        $running | Should -Match '^(?s).*?<tr><th class="l">Name</th>.*?</tr>\s*<tr><td class="l">Notability</td><td class="l"><a href="#t\d">Oak Park Elementary</a></td><td class="l">App</td><td class="full">0</td>'
        $running | Should -Match '<td class="l">Notability</td><td class="l"><a href="#t\d">Oak Park Elementary</a></td><td class="full">2</td><td>0</td><td class="l">Report OPE Cart</td>'
    }

    It 'never writes a token''s contents' {
        Export-VppLicenseReport -Path (Join-Path $Out 'all.html')
        Export-VppLicenseReport -Path (Join-Path $Out 'all.csv')
        foreach ($tokenFile in $Sim.TokenFiles) {
            $token = (Get-Content -Raw $tokenFile.FullName).Trim()
            $decoded = [Text.Encoding]::UTF8.GetString([Convert]::FromBase64String($token))
            $secret = ($decoded | ConvertFrom-Json).token
            foreach ($report in 'all.html', 'all.csv') {
                $text = Get-Content -Raw (Join-Path $Out $report)
                $text.Contains($token) | Should -BeFalse
                $text.Contains($secret) | Should -BeFalse
            }
        }
    }

    It 'refuses <Case> with a clear error and writes nothing' -ForEach @(
        @{ Case = 'an unknown extension'; Path = 'licenses.txt'; Extra = @{}; ErrorId = 'VppReportFormatUnknown'; Message = '-Format Html' }
        @{ Case = 'a missing folder'; Path = 'missing/licenses.csv'; Extra = @{}; ErrorId = 'VppReportFolderMissing'; Message = 'does not exist' }
        @{ Case = 'an existing file with -NoClobber'; Path = 'all.csv'; Extra = @{ NoClobber = $true }; ErrorId = 'VppReportExists'; Message = 'NoClobber' }
    ) {
        $target = Join-Path $Out $Path
        $before = if (Test-Path $target) { Get-FileHash $target } else { $null }
        { Export-VppLicenseReport -Path $target @Extra -ErrorAction Stop } | Should -Throw -ErrorId "$ErrorId*" -ExpectedMessage "*$Message*"
        if ($before) { (Get-FileHash $target).Hash | Should -Be $before.Hash } else { Test-Path $target | Should -BeFalse }
    }

    It 'finds a token whose name holds wildcard characters by that name, here and in the other cmdlets' {
        Set-VppToken -Name 'Lincoln Middle School' -NewName 'Lincoln [Main]' -Confirm:$false
        (Get-VppToken -Name 'Lincoln [Main]').Name | Should -Be 'Lincoln [Main]'
        (Sync-VppToken -Name 'Lincoln [Main]').Status | Should -Be 'completed'
        @(Get-VppLicensedApp -Token 'Lincoln [Main]').Count | Should -BeGreaterThan 0
        @(Get-VppLicense -Token 'Lincoln [Main]').Count | Should -BeGreaterThan 0
        @(Get-VppSyncHistory -Token 'Lincoln [Main]').Count | Should -BeGreaterThan 0
        @(Get-VppAuditLog -Target 'token:Lincoln [Main]').Count | Should -BeGreaterThan 0
        Export-VppLicenseReport -Path (Join-Path $Out 'main.csv') -Token 'Lincoln [Main]'
        @(Import-Csv (Join-Path $Out 'main.csv') | Select-Object -ExpandProperty Token -Unique) | Should -Be @('Lincoln [Main]')
        Set-VppToken -Name 'Lincoln [Main]' -NewName 'Lincoln Middle School' -Confirm:$false
    }

    It 'writes nothing with -WhatIf, and takes -Format over the extension' {
        Export-VppLicenseReport -Path (Join-Path $Out 'whatif.html') -WhatIf
        Test-Path (Join-Path $Out 'whatif.html') | Should -BeFalse
        Export-VppLicenseReport -Path (Join-Path $Out 'licenses.report') -Format Csv
        Get-Content (Join-Path $Out 'licenses.report') -TotalCount 1 | Should -Match '^\W?Token,Type,Name'
        @(Get-ChildItem -Force $Out -Filter '*.tmp').Count | Should -Be 0
    }

    It 'flags a token another MDM claimed, and says its numbers are from an older sync' {
        Invoke-SimControl $Sim 'locations/Lincoln Middle School/claim' -Body @{ name = 'Jamf Pro'; id = 'jamf-42'; metadata = 'jamf.example' } | Out-Null
        Sync-VppToken -Name 'Lincoln Middle School' -ErrorAction SilentlyContinue | Out-Null
        Export-VppLicenseReport -Path (Join-Path $Out 'claimed.html')
        $html = Get-Content -Raw (Join-Path $Out 'claimed.html')
        $html | Should -Match '<a href="#t\d">Lincoln Middle School</a></td><td class="l"><span class="error">Claimed by another MDM; Stale: last sync failed</span>'
        $html | Should -Match 'Set-VppToken -ClaimFromExternalMdm takes it back'
        $html | Should -Match '<h3>Lincoln Middle School</h3>[^\n]*numbers as of \d{4}-\d\d-\d\d \d\d:\d\d UTC'
        $html | Should -Match 'class="stale" title="numbers from an older sync">Lincoln Middle School</a>'
    }
}
