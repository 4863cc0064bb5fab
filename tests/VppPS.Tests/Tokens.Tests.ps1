BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Join-Path $PSScriptRoot 'SimulatorHelpers.psm1') -Force
    Import-Module (Get-TestModulePath) -Force
    $script:AppleId = 'vpp-admin@riversideusd.example'

    function Reset-World {
        Stop-VppSimulator
        $env:VPPPS_HOME = New-TestHome
        $script:Sim = Start-VppSimulator -Scenario Demo
        $script:Riverside = Get-SimTokenFile $Sim 'Riverside High School'
        $script:Lincoln = Get-SimTokenFile $Sim 'Lincoln Middle School'
    }
    function Add-Riverside { Add-VppToken -Path $Riverside -AppleId $AppleId -AccountType Education @args }
}
AfterAll { Stop-VppSimulator; Stop-TestChildren; Remove-TestHome }

Describe 'Add-VppToken' {
    BeforeEach { Reset-World }

    It 'uploads a token, learns its location from Apple and claims it for VppPS' {
        $token = Add-Riverside
        $token.Name | Should -Be 'Riverside High School'
        $token.LocationName | Should -Be 'Riverside High School'
        $token.LocationId | Should -Be '2049025000431439'
        $token.OrganizationName | Should -Be 'Riverside Unified School District'
        $token.AccountType.ToString() | Should -Be 'education'
        $token.CountryOrRegion | Should -Be 'US'
        $token.State.ToString() | Should -Be 'valid'
        $token.LastSyncStatus.ToString() | Should -Be 'none'
        $location = Invoke-SimControl $Sim 'locations/Riverside High School' -Method Get
        $location.mdmName | Should -Be 'VppPS'
        $location.mdmMetadata | Should -Be ([Environment]::MachineName)
        (Get-VppAuditLog -Target 'token:*').Summary | Should -Match 'added'
    }

    It 'takes every token of a folder from the pipeline' {
        $tokens = Get-ChildItem $Sim.TokenDirectory -Filter *.vpptoken | Add-VppToken -AppleId $AppleId -AccountType Education
        $tokens | Should -HaveCount 3
        (Get-VppToken).Name | Should -Be @('Lincoln Middle School', 'Oak Park Elementary', 'Riverside High School')
    }

    It 'accepts a BOM, CRLF and Base64 wrapped over lines' {
        $text = (Get-Content -Raw $Riverside).Trim()
        $wrapped = ($text -split '(.{60})' | Where-Object { $_ }) -join "`r`n"
        $file = Join-Path $TestDrive 'wrapped.vpptoken'
        [System.IO.File]::WriteAllText($file, "  `r`n" + $wrapped + "`r`n", [System.Text.UTF8Encoding]::new($true))
        (Add-VppToken -Path $file -AppleId $AppleId -AccountType Education).LocationId | Should -Be '2049025000431439'
    }

    It 'accepts the token as a SecureString' {
        $secure = ConvertTo-SecureString (Get-Content -Raw $Riverside) -AsPlainText -Force
        (Add-VppToken -Token $secure -AppleId $AppleId -AccountType Business -Name 'From vault').Name | Should -Be 'From vault'
    }

    It 'refuses <Case> with <ErrorId> and writes nothing' -ForEach @(
        @{ Case = 'text that is not Base64'; ErrorId = 'VppTokenNotBase64'; Make = { param($f) Set-Content $f 'this is not a token!' } }
        @{ Case = 'Base64 of something not JSON'; ErrorId = 'VppTokenNotJson'; Make = { param($f) Set-Content $f ([Convert]::ToBase64String([Text.Encoding]::UTF8.GetBytes('hello world'))) } }
        @{ Case = 'JSON without expDate'; ErrorId = 'VppTokenIncomplete'; Make = { param($f) Set-Content $f ([Convert]::ToBase64String([Text.Encoding]::UTF8.GetBytes('{"token":"abc","orgName":"X"}'))) } }
        @{ Case = 'an expiry date in the past'; ErrorId = 'VppTokenExpired'; Make = { param($f) Set-Content $f ([Convert]::ToBase64String([Text.Encoding]::UTF8.GetBytes('{"token":"abc","expDate":"2020-01-01T00:00:00+0000","orgName":"X"}'))) } }
        @{ Case = 'an empty file'; ErrorId = 'VppTokenFileEmpty'; Make = { param($f) Set-Content $f '' -NoNewline } }
        @{ Case = 'a huge file'; ErrorId = 'VppTokenFileTooLarge'; Make = { param($f) [IO.File]::WriteAllBytes($f, [byte[]]::new(1MB)) } }
        @{ Case = 'a directory'; ErrorId = 'VppTokenFileIsDirectory'; Make = { param($f) New-Item -ItemType Directory $f | Out-Null } }
        @{ Case = 'a missing file'; ErrorId = 'VppTokenFileNotFound'; Make = { param($f) } }
    ) {
        $file = Join-Path $TestDrive ([guid]::NewGuid().ToString('N') + '.vpptoken')
        & $Make $file
        $caught = $null
        try { Add-VppToken -Path $file -AppleId $AppleId -AccountType Education -ErrorAction Stop } catch { $caught = $_ }
        $caught | Should -Not -BeNullOrEmpty
        $caught.FullyQualifiedErrorId | Should -BeLike "$ErrorId,*"
        $caught.Exception.Message | Should -Not -BeNullOrEmpty
        Get-VppToken | Should -BeNullOrEmpty
        Get-VppAuditLog | Should -BeNullOrEmpty
    }

    It 'refuses a token Apple revoked' {
        Invoke-SimControl $Sim 'locations/Riverside High School/revoke' | Out-Null
        { Add-Riverside -ErrorAction Stop } | Should -Throw -ErrorId 'VppTokenRevoked,*' -ExpectedMessage '*revoked*'
        Get-VppToken | Should -BeNullOrEmpty
    }

    It 'refuses a token Apple says has expired' {
        Invoke-SimControl $Sim 'locations/Riverside High School/expire' | Out-Null
        { Add-Riverside -ErrorAction Stop } | Should -Throw -ErrorId 'VppTokenExpired,*'
        Get-VppToken | Should -BeNullOrEmpty
    }

    It 'refuses an Apple ID that is not an e-mail address' {
        { Add-VppToken -Path $Riverside -AppleId 'admin' -AccountType Education -ErrorAction Stop } | Should -Throw -ErrorId 'VppBadAppleId,*' -ExpectedMessage '*e-mail*'
        Get-VppToken | Should -BeNullOrEmpty
    }

    It 'refuses a token name that is <Case>, saying why, and writes nothing' -ForEach @(
        @{ Case = '5,000 characters long'; Name = 'x' * 5000; Says = '*5,000 characters long, and a token name has at most 128*' }
        @{ Case = 'holding a control character'; Name = "Riverside`aHigh"; Says = '*control character U+0007 at position 10*' }
        @{ Case = 'holding a right-to-left override'; Name = "Riverside`u{202E}loohcS"; Says = '*bidirectional formatting character U+202E*' }
        @{ Case = 'only spaces'; Name = '   '; Says = '*only white space; give a token name of at least one visible character*' }
        @{ Case = 'holding a zero-width space'; Name = "River`u{200B}side"; Says = '*invisible formatting character U+200B at position 6*' }
        @{ Case = 'holding a byte order mark'; Name = "`u{FEFF}Riverside"; Says = '*invisible formatting character U+FEFF at position 1*' }
        @{ Case = 'holding a line separator'; Name = "River`u{2028}side"; Says = '*line or paragraph separator U+2028*' }
    ) {
        $caught = $null
        try { Add-Riverside -Name $Name -ErrorAction Stop } catch { $caught = $_ }
        $caught | Should -Not -BeNullOrEmpty
        $caught.FullyQualifiedErrorId | Should -BeLike 'VppTokenNameInvalid,*'
        "$($caught.CategoryInfo.Category)" | Should -Be 'InvalidArgument'
        $caught.Exception.Message | Should -BeLike $Says
        (Invoke-SimControl $Sim 'locations/Riverside High School' -Method Get).mdmName | Should -BeNullOrEmpty   # refused before asking Apple
        Get-VppToken | Should -BeNullOrEmpty
        Add-Riverside | Out-Null
        { Set-VppToken -Name 'Riverside High School' -NewName $Name -ErrorAction Stop } | Should -Throw -ErrorId 'VppTokenNameInvalid,*'
    }

    It 'refuses the same location twice and says to use Update-VppToken' {
        Add-Riverside | Out-Null
        { Add-Riverside -ErrorAction Stop } | Should -Throw -ErrorId 'VppTokenDuplicateLocation,*' -ExpectedMessage '*Update-VppToken*'
        Get-VppToken | Should -HaveCount 1
    }

    It 'refuses a location another MDM holds, naming it, and takes it over only when told' {
        Invoke-SimControl $Sim 'locations/Riverside High School/claim' -Body @{ id = 'jamf-1'; name = 'Jamf Pro'; metadata = 'jamf.district.example' } | Out-Null
        { Add-Riverside -ErrorAction Stop } | Should -Throw -ErrorId 'VppTokenClaimedByOtherMdm,*' -ExpectedMessage "*'Jamf Pro'*-ClaimFromExternalMdm*"
        Get-VppToken | Should -BeNullOrEmpty
        $token = Add-VppToken -Path $Riverside -AppleId $AppleId -AccountType Education -ClaimFromExternalMdm -WarningVariable warned -WarningAction SilentlyContinue
        $token.State.ToString() | Should -Be 'valid'
        $warned | Should -Match 'Jamf Pro'
        (Invoke-SimControl $Sim 'locations/Riverside High School' -Method Get).mdmName | Should -Be 'VppPS'
    }

    It 'enforces the token cap' {
        Set-VppConfiguration -TokenCap 2 -Confirm:$false
        Get-ChildItem $Sim.TokenDirectory -Filter *.vpptoken | Add-VppToken -AppleId $AppleId -AccountType Education -ErrorVariable failed -ErrorAction SilentlyContinue | Out-Null
        Get-VppToken | Should -HaveCount 2
        $failed | Should -HaveCount 1
        $failed[0].FullyQualifiedErrorId | Should -BeLike 'VppTokenCapReached,*'
        $failed[0].Exception.Message | Should -Match 'Set-VppConfiguration -TokenCap'
    }

    It 'changes nothing with -WhatIf' {
        Add-Riverside -WhatIf
        Get-VppToken | Should -BeNullOrEmpty
        (Invoke-SimControl $Sim 'locations/Riverside High School' -Method Get).mdmId | Should -BeNullOrEmpty
    }
}

Describe 'The 257th token' {
    BeforeAll {
        Stop-VppSimulator
        $env:VPPPS_HOME = New-TestHome
        $locations = foreach ($i in 1..257) {
            @{ orgName = 'Big District'; locationName = "School $i"; uId = [string](3000000000000000 + $i); countryISO2ACode = 'US'
               defaultPlatform = 'volumestore'; websiteURL = 'https://school.apple.com'; assets = @(); users = @(); assignments = @() }
        }
        $scenario = Join-Path $TestDrive 'many.json'
        @{ pageSize = 1000; locations = $locations } | ConvertTo-Json -Depth 6 | Set-Content $scenario
        $script:Many = Start-VppSimulator -Scenario $scenario
    }

    It 'is refused while the cap is the default 256' {
        (Get-VppConfiguration).TokenCap | Should -Be 256
        $files = $Many.TokenFiles | Sort-Object { [int]($_.Name -replace '\D', '') }
        $files | Should -HaveCount 257
        $files | Select-Object -First 256 | Add-VppToken -AppleId $AppleId -AccountType Education | Out-Null
        (Get-VppToken).Count | Should -Be 256
        { Add-VppToken -Path ($files | Select-Object -Last 1) -AppleId $AppleId -AccountType Education -ErrorAction Stop } |
            Should -Throw -ErrorId 'VppTokenCapReached,*' -ExpectedMessage '*256*'
        (Get-VppToken).Count | Should -Be 256
    }
}

Describe 'Secrets stay secret' {
    BeforeAll { Reset-World }

    It 'never shows the token: output, verbose, debug, errors, JSON, audit journal, database' {
        $bearer = (Get-Content -Raw $Riverside).Trim()
        $inner = ([Text.Encoding]::UTF8.GetString([Convert]::FromBase64String($bearer)) | ConvertFrom-Json).token
        $everything = & {
            Add-Riverside -Verbose -Debug 4>&1 5>&1 6>&1 3>&1
            Add-Riverside -Verbose -ErrorAction Continue 2>&1 4>&1
            Get-VppToken | Format-List * | Out-String
            Get-VppToken | ConvertTo-Json -Depth 5
            Get-VppToken | Select-Object * | Out-String
            Test-VppToken -Online -Verbose 4>&1 | Out-String
            Get-VppAuditLog | Format-List * | Out-String
        } | Out-String
        $everything | Should -Match 'Riverside'
        $everything.Contains($bearer) | Should -BeFalse
        $everything.Contains($inner) | Should -BeFalse
        foreach ($file in Get-ChildItem $env:VPPPS_HOME -Filter 'vppps.db*') {
            $content = [Text.Encoding]::UTF8.GetString([IO.File]::ReadAllBytes($file.FullName))
            $content.Contains($bearer) | Should -BeFalse -Because "$($file.Name) must not hold the token"
            $content.Contains($inner) | Should -BeFalse
        }
    }
}

Describe 'Get-VppToken, Set-VppToken, Update-VppToken, Remove-VppToken, Test-VppToken' {
    BeforeEach {
        Reset-World
        Get-ChildItem $Sim.TokenDirectory -Filter *.vpptoken | Add-VppToken -AppleId $AppleId -AccountType Education | Out-Null
    }

    It 'filters by name wildcard, state and expiry' {
        (Get-VppToken -Name '*High*').Name | Should -Be 'Riverside High School'
        (Get-VppToken -State valid).Count | Should -Be 3
        (Get-VppToken -ExpiringWithinDays 30).Name | Should -Be 'Oak Park Elementary'
        { Get-VppToken -Name 'Nowhere' -ErrorAction Stop } | Should -Throw -ErrorId 'VppTokenNotFound,*'
    }

    It 'completes token names, quoting them' {
        $completion = TabExpansion2 -inputScript 'Get-VppToken -Name Linc' -cursorColumn 'Get-VppToken -Name Linc'.Length
        $completion.CompletionMatches.CompletionText | Should -Be @("'Lincoln Middle School'")
    }

    It 'fits the table in 120 columns' {
        $lines = Get-VppToken | Format-Table | Out-String -Width 120 -Stream
        ($lines | Where-Object { $_.Length -gt 120 }) | Should -BeNullOrEmpty
    }

    It 'changes settings and journals them' {
        $token = Set-VppToken -Name 'Lincoln Middle School' -NewName 'Lincoln MS' -AutomaticallyUpdateApps $true -CountryOrRegion ca -PassThru
        $token.Name | Should -Be 'Lincoln MS'
        $token.AutomaticallyUpdateApps | Should -BeTrue
        $token.CountryOrRegion | Should -Be 'CA'
        (Get-VppAuditLog -Target 'token:Lincoln*' -First 1).Summary | Should -Match "renamed to 'Lincoln MS'"
        { Set-VppToken -Name 'Lincoln MS' -NewName 'Riverside High School' -ErrorAction Stop } | Should -Throw -ErrorId 'VppTokenNameTaken,*'
    }

    It 'renews in place with a new file of the same location, keeping the Id' {
        $before = Get-VppToken -Name 'Oak Park Elementary'
        Invoke-SimControl $Sim 'locations/Oak Park Elementary/renew' | Out-Null
        $after = Update-VppToken -Name 'Oak Park Elementary' -Path (Get-SimTokenFile $Sim 'Oak Park Elementary')
        $after.Id | Should -Be $before.Id
        $after.ExpirationDateTime | Should -BeGreaterThan $before.ExpirationDateTime.AddDays(300)
        $after.State.ToString() | Should -Be 'valid'
    }

    It 'renews with the token text as a SecureString, as a runbook keeps it in an encrypted variable' {
        $before = Get-VppToken -Name 'Oak Park Elementary'
        Invoke-SimControl $Sim 'locations/Oak Park Elementary/renew' | Out-Null
        $secure = ConvertTo-SecureString (Get-Content -Raw (Get-SimTokenFile $Sim 'Oak Park Elementary')).Trim() -AsPlainText -Force
        $after = Update-VppToken -Name 'Oak Park Elementary' -Token $secure
        $after.Id | Should -Be $before.Id
        $after.ExpirationDateTime | Should -BeGreaterOrEqual $before.ExpirationDateTime
        $after.State.ToString() | Should -Be 'valid'
        { Update-VppToken -Name 'Oak Park Elementary' -ErrorAction Stop } | Should -Throw -ErrorId 'VppTokenSourceMissing,*'
        { Update-VppToken -Name 'Oak Park Elementary' -Token $secure -Path $Riverside -ErrorAction Stop } | Should -Throw -ErrorId 'VppTokenSourceMissing,*'
    }

    It 'refuses to renew with the file of another location' {
        { Update-VppToken -Name 'Oak Park Elementary' -Path $Riverside -ErrorAction Stop } | Should -Throw -ErrorId 'VppTokenOtherLocation,*' -ExpectedMessage '*another organizational unit (location)*'
    }

    It 'notices another MDM took the location, stops, and claims it back when told' {
        Invoke-SimControl $Sim 'locations/Riverside High School/claim' -Body @{ id = 'mosyle-9'; name = 'Mosyle' } | Out-Null
        $findings = Get-VppToken -Name 'Riverside High School' | Test-VppToken -Online
        ($findings | Where-Object Severity -eq 'Error').Message | Should -Match 'Mosyle'
        (Get-VppToken -Name 'Riverside High School').State.ToString() | Should -Be 'assignedToExternalMDM'
        $token = Set-VppToken -Name 'Riverside High School' -ClaimFromExternalMdm -PassThru -WarningAction SilentlyContinue -Confirm:$false
        $token.State.ToString() | Should -Be 'valid'
        (Invoke-SimControl $Sim 'locations/Riverside High School' -Method Get).mdmName | Should -Be 'VppPS'
    }

    It 'marks a revoked token invalid when Apple says so' {
        Invoke-SimControl $Sim 'locations/Lincoln Middle School/revoke' | Out-Null
        Test-VppToken -Name 'Lincoln Middle School' -Online | Where-Object Severity -eq 'Error' | Should -Not -BeNullOrEmpty
        (Get-VppToken -Name 'Lincoln Middle School').State.ToString() | Should -Be 'invalid'
    }

    It 'answers -Quiet with true or false' {
        Test-VppToken -Quiet | Should -BeFalse   # Oak Park expires within 15 days
        Test-VppToken -Name 'Riverside High School' -Quiet | Should -BeTrue
        ((Test-VppToken -Name 'Oak Park Elementary') | Where-Object Check -eq 'Expiry').Message | Should -Match '15-day'
    }

    It 'removes a token without licenses, after confirmation' {
        Remove-VppToken -Name 'Oak Park Elementary' -Confirm:$false
        (Get-VppToken).Name | Should -Not -Contain 'Oak Park Elementary'
        (Get-VppAuditLog -Target 'token:Oak*' -First 1).Action | Should -Be 'Remove'
    }

    It 'keeps a token under which VppPS holds licenses unless told what to do with them' {
        Set-VppConfiguration -StatusPollIntervalSeconds 0 -Confirm:$false
        Sync-VppToken -Name 'Riverside High School' | Out-Null
        New-VppGroup -Name 'Lab iPads' -Kind Device | Out-Null
        'LAB00001', 'LAB00002' | ForEach-Object { [pscustomobject]@{ SerialNumber = $_ } } | Add-VppGroupMember -Group 'Lab iPads'
        Set-VppAssignment -App Keynote -Token 'Riverside High School' -Group 'Lab iPads' -Intent Required | Out-Null
        $held = { (Invoke-SimControl $Sim 'locations/Riverside High School/assignments' -Method Get) | Where-Object { $_.adamId -eq '361285480' -and $_.serialNumber -like 'LAB*' } }
        (& $held) | Should -HaveCount 2
        # Subscription seats VppPS gave count as licenses: one given, one already ending at the period end.
        New-VppGroup -Name 'Lab readers' -Kind User | Out-Null
        $readers = 'lab.reader1@riversideusd.org', 'lab.reader2@riversideusd.org'
        $readers | ForEach-Object { [pscustomobject]@{ UserPrincipalName = $_; Mail = $_ } } | Add-VppGroupMember -Group 'Lab readers'
        Set-VppAssignment -App 1640000102 -Token 'Riverside High School' -Group 'Lab readers' -Intent Required | Out-Null
        $ids = @(Get-VppSubscriptionSeat -Subscription 1640000102 -Token 'Riverside High School' | Where-Object UserEmail -in $readers).ClientUserId
        $ids | Should -HaveCount 2
        Remove-VppAppLicense -App 1640000102 -Token 'Riverside High School' -User $readers[1] -Confirm:$false | Out-Null
        (Get-VppSubscriptionSeat -Subscription 1640000102 -User $readers[1]).Ending | Should -BeTrue
        $seats = { @((Invoke-SimControl $Sim 'locations/Riverside High School/subscriptions/assignments' -Method Get) | ForEach-Object { $_ } | Where-Object clientUserId -in $ids) }
        (& $seats) | Should -HaveCount 2

        { Remove-VppToken -Name 'Riverside High School' -Confirm:$false -ErrorAction Stop } |
            Should -Throw -ErrorId 'VppTokenHasLicenses,*' -ExpectedMessage '*2 license(s)*and 2 subscription seat(s) of 1 subscription(s) to 2 user(s)*-RevokeLicenses*-Force*'
        Get-VppToken -Name 'Riverside High School' | Should -Not -BeNullOrEmpty
        Remove-VppToken -Name 'Riverside High School' -RevokeLicenses -Confirm:$false
        Get-VppToken -Name 'Riverside*' | Should -BeNullOrEmpty
        (& $held) | Should -BeNullOrEmpty
        (& $seats) | Should -BeNullOrEmpty
        (Get-VppAuditLog -Target 'token:Riverside*' -First 1).Summary | Should -Match 'after reclaiming 2 license\(s\).* and 2 subscription seat\(s\)'
    }

    It 'removes with -Force, saying what stays at Apple' {
        Set-VppConfiguration -StatusPollIntervalSeconds 0 -Confirm:$false
        Sync-VppToken -Name 'Lincoln Middle School' | Out-Null
        New-VppGroup -Name 'Lincoln iPads' -Kind Device | Out-Null
        [pscustomobject]@{ SerialNumber = 'LMS00001' } | Add-VppGroupMember -Group 'Lincoln iPads'
        Set-VppAssignment -App Keynote -Token 'Lincoln Middle School' -Group 'Lincoln iPads' -Intent Required | Out-Null
        Remove-VppToken -Name 'Lincoln Middle School' -Force -Confirm:$false -WarningVariable warned -WarningAction SilentlyContinue
        $warned | Should -Match 'stay assigned at Apple'
        (Get-VppAuditLog -Target 'token:Lincoln*' -First 1).Summary | Should -Match 'left 1 license'
        ((Invoke-SimControl $Sim 'locations/Lincoln Middle School/assignments' -Method Get) | Where-Object serialNumber -eq 'LMS00001') | Should -Not -BeNullOrEmpty
    }
}
