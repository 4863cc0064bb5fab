BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Join-Path $PSScriptRoot 'SimulatorHelpers.psm1') -Force
    Import-Module (Get-TestModulePath) -Force
    $env:VPPPS_RETRY_BASE_DELAY_MS = '5'
    $env:VPPPS_HOME = New-TestHome
    $script:Sim = Start-VppSimulator -Scenario Demo
    $Sim.TokenFiles | Add-VppToken -AppleId 'vpp@riversideusd.example' -AccountType Education -WarningAction SilentlyContinue | Out-Null
    $script:SyncWarnings = @()
    Sync-VppToken -All -WarningVariable script:SyncWarnings -WarningAction SilentlyContinue | Out-Null
}
AfterAll { Stop-VppSimulator; Stop-TestChildren; Remove-TestHome; Remove-Item Env:VPPPS_RETRY_BASE_DELAY_MS -ErrorAction Ignore }

Describe 'Subscriptions' {
    It 'reminds once, with the command, to declare subscription management for the tokens that own seats' {
        $reminders = @($SyncWarnings | Where-Object { "$_" -match 'SubscriptionManagement Enabled' })
        $reminders | Should -HaveCount 2   # Riverside High School and Lincoln Middle School; Oak Park owns none
        "$($reminders[0])" | Should -Match "Set-VppToken -Name '(Riverside High School|Lincoln Middle School)' -SubscriptionManagement Enabled"
        Sync-VppToken -All -WarningVariable again -WarningAction SilentlyContinue | Out-Null
        @($again | Where-Object { "$_" -match 'SubscriptionManagement' }) | Should -BeNullOrEmpty
    }

    It 'lists every subscription with its seats as Apple counts them' {
        $expected = foreach ($location in 'Riverside High School', 'Lincoln Middle School') {
            (Invoke-SimControl $Sim "locations/$location/subscriptions" -Method Get) | ForEach-Object {
                "$location|$($_.adamId)|$($_.status)|$($_.assignedRenewing)+$($_.assignedExpiring)|$($_.availableRenewing)+$($_.availableExpiring)|$($_.totalRenewing)+$($_.totalExpiring)" }
        }
        $actual = Get-VppSubscription | ForEach-Object {
            "$($_.Token)|$($_.AdamId)|$($_.Status)|$($_.AssignedRenewing)+$($_.AssignedExpiring)|$($_.AvailableRenewing)+$($_.AvailableExpiring)|$($_.TotalRenewing)+$($_.TotalExpiring)" }
        @($actual | Sort-Object) | Should -Be @($expected | Sort-Object)
        $reads = Get-VppSubscription -Name 1640000101 -Token 'Riverside*'
        $reads.SeatsLapsing | Should -Be 10
        $reads.PeriodEndDate | Should -BeOfType [datetime]
        ($reads | Out-String -Width 80) | Should -Match '\s3\+3\s+22\+7\s+25\+10\s'
    }

    It 'names the parent app of each subscription (Apple gives only its adamId) in the view at 80 columns, in -Summary and in the report' {
        # No metadata credential is set: the legacy lookup names the apps, the parents no token holds too (the demo's reading app 719219382).
        $shown = Get-VppSubscription -Token 'Riverside High School' | Out-String -Width 80
        ($shown -split "`r?`n" | Measure-Object Length -Maximum).Maximum | Should -BeLessOrEqual 80
        $shown | Should -Match '(?m)^App\s+Subscription\s+Status\s+Period end\s+Assigned\s+Available\s+Total\s*$'
        $shown | Should -Match '(?m)^Riverside Reads\s+1640000101\s+ACTIVE\s+\d{4}-\d\d-\d\d\s+3\+3\s+22\+7\s+25\+10\s*$'
        $shown | Should -Match '(?m)^Notability\s+1640000102\s+ACTIVE\s'
        $shown | Should -Match '(?m)^Riverside Reads\s+1640000103\s+INACTIVE\s'
        (Get-VppSubscription -Name 1640000101 -Token 'Riverside High School').ParentAppName | Should -Be 'Riverside Reads'
        @(Get-VppSubscription -Name 'Riverside Reads').AdamId | Sort-Object -Unique | Should -Be @('1640000101', '1640000103')
        # -Summary: the parent app over the subscription's adamId.
        $summary = Get-VppSubscription -Summary | Out-String -Width 80
        ($summary -split "`r?`n" | Measure-Object Length -Maximum).Maximum | Should -BeLessOrEqual 80
        $summary | Should -Match '(?m)^Riverside Reads\s+ACTIVE\s+\d{4}-\d\d-\d\d\s+5\+4\s+32\+10\s+37\+14\s+14\s+2\s*\r?\n1640000101\s*$'
        # The report names it the same way.
        $csv = Join-Path $env:VPPPS_HOME 'names.csv'
        Export-VppLicenseReport -Path $csv | Out-Null
        @(Import-Csv $csv | Where-Object Type -eq Subscription | Where-Object AdamId -eq 1640000101).Name | Sort-Object -Unique | Should -Be 'Riverside Reads (1640000101)'
    }

    It 'selects by name with wildcards, by token piped from Get-VppToken, and says when a name matches nothing' {
        @(Get-VppToken -Name 'Lincoln*' | Get-VppSubscription).AdamId | Should -Be @('1640000101')
        @(Get-VppSubscription -Name 'Notability*').AdamId | Should -Be @('1640000102')
        @(Get-VppSubscription -Name '16400001*' -Token 'Riverside High School').Count | Should -Be 3
        Get-VppSubscription -Name 'No Such Subscription' -ErrorVariable failed -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $failed[0].FullyQualifiedErrorId | Should -Match '^VppSubscriptionNotFound'
        $failed[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
        Get-VppSubscription -Name 'Nothing*' -ErrorVariable none -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $none | Should -BeNullOrEmpty
    }

    It 'lists seat holders, piped from Get-VppSubscription, and those whose seat ends' {
        $expected = (Invoke-SimControl $Sim 'locations/Riverside High School/subscriptions/assignments' -Method Get) |
            Where-Object adamId -eq 1640000101 | ForEach-Object { "$($_.clientUserId)|$($_.renewing)" } | Sort-Object
        @(Get-VppSubscription -Name 1640000101 -Token 'Riverside High School' | Get-VppSubscriptionSeat | ForEach-Object { "$($_.ClientUserId)|$($_.Renewing)" } | Sort-Object) |
            Should -Be @($expected)
        @(Get-VppSubscriptionSeat -Token 'Riverside High School' -Expiring).ClientUserId | Sort-Object | Should -Be @('rusd-rhs-s-1002', 'rusd-rhs-s-1003', 'rusd-rhs-s-1004', 'rusd-rhs-s-1004')
    }

    It 'adds the subscriptions, with the seats that lapse, to Get-VppLicensedApp -Summary and to the report' {
        $summary = @(Get-VppLicensedApp -Summary)
        $subscriptions = @($summary | Where-Object { $_.PSObject.TypeNames[0] -eq 'VppPS.Engine.Subscriptions.VppSubscription#AppSummary' })
        $subscriptions.AdamId | Sort-Object | Should -Be @('1640000101', '1640000102', '1640000103')
        ($subscriptions | Where-Object AdamId -eq 1640000101).SeatsLapsing | Should -Be 14   # 10 at Riverside, 4 at Lincoln
        ($subscriptions | Where-Object AdamId -eq 1640000101).TokenCount | Should -Be 2
        # One table: the subscription lines follow the apps, with the forecast in their name.
        $shown = $summary | Out-String -Width 120
        ([regex]::Matches($shown, '(?m)^Name\s+Pricing')).Count | Should -Be 1
        # The subscription, then under it how many seats lapse and when; seats 51 total, 9 assigned, 42 available, 2 tokens.
        ($shown -replace '\s', '') | Should -Match 'RiversideReadsseats5194221640000101\s*14lapse\d{4}-\d\d-\d\d'
        $shown | Should -Match '(?m)^14 lapse \d{4}-\d\d-\d\d\s*$'
        $html = Join-Path $env:VPPPS_HOME 'report.html'
        Export-VppLicenseReport -Path $html | Out-Null
        $text = Get-Content -Raw $html
        $text | Should -Match '<h2 id="subscriptions">Subscriptions</h2>'
        $text | Should -Match 'Forecast: 14 seat\(s\) lapse at the end of their billing period'
        $text | Should -Match '<td class="l">Riverside Reads \(1640000101\)</td>'
    }

    It 'shows free apps as unlimited, never as 2147483647' {
        $free = Get-VppLicensedApp -Name 'Google Classroom' -Token 'Riverside High School'
        $free.Unlimited | Should -BeTrue
        $free.TotalCount | Should -BeNullOrEmpty
        $free.AvailableCount | Should -BeNullOrEmpty
        $shown = $free | Out-String -Width 80
        $shown | Should -Match 'unlimited\s+\d+\s+unlimited'
        $shown | Should -Not -Match '2147483647'
        ($free | Format-List * | Out-String) | Should -Not -Match '2147483647'
    }

    It 'declares subscription management to Apple, and refuses to disable it while the unit owns subscriptions' {
        $token = Set-VppToken -Name 'Riverside High School' -SubscriptionManagement Enabled -PassThru -Confirm:$false
        "$($token.SubscriptionManagement)" | Should -Be 'Enabled'
        (Invoke-SimControl $Sim 'locations/Riverside High School' -Method Get).subscriptionManagement | Should -BeTrue
        Set-VppToken -Name 'Riverside High School' -SubscriptionManagement Disabled -Confirm:$false -ErrorVariable refused -ErrorAction SilentlyContinue
        $refused[0].FullyQualifiedErrorId | Should -Match '^VppSubscriptionsExist'
        "$($refused[0])" | Should -Match "Riverside High School.*still owns subscriptions \(Apple error 9818\)"
        "$((Get-VppToken -Name 'Riverside High School').SubscriptionManagement)" | Should -Be 'Enabled'
        Set-VppToken -Name 'Oak Park Elementary' -SubscriptionManagement Disabled -WhatIf | Out-Null
        (Invoke-SimControl $Sim 'locations/Oak Park Elementary' -Method Get).subscriptionManagement | Should -BeNullOrEmpty
    }

    It 'refuses to assign a subscription to a device group or to devices, saying its seats go to users only' {
        New-VppGroup -Name 'Subscription iPads' -Kind Device | Out-Null
        New-VppGroup -Name 'Subscription readers' -Kind User | Out-Null
        { Set-VppAssignment -App 1640000101 -Token 'Riverside High School' -Group 'Subscription iPads' -Intent Required -ErrorAction Stop } |
            Should -Throw -ErrorId 'VppSubscriptionUsersOnly,*' -ExpectedMessage "*users only*device group 'Subscription iPads'*"
        { Set-VppAssignment -App 1640000101 -Token 'Riverside High School' -Group 'Subscription readers' -Intent Required -LicenseType Device -ErrorAction Stop } |
            Should -Throw -ErrorId 'VppSubscriptionUsersOnly,*' -ExpectedMessage '*-LicenseType User*'
        @(Get-VppAssignment) | Should -BeNullOrEmpty
    }

    It 'gives seats to a teacher group as apps get licenses: the plan, the shortage, the seats that wait, and the reclaim at the period end or at once' {
        # Notability Plus at Riverside: 10 renewing seats, 2 held, 8 available.
        $teachers = 1..9 | ForEach-Object { "seat.teacher$_@riversideusd.org" }
        New-VppGroup -Name 'Seat teachers' -Kind User | Out-Null
        $teachers | ForEach-Object { [pscustomobject]@{ UserPrincipalName = $_; Mail = $_ } } | Add-VppGroupMember -Group 'Seat teachers'
        $sub = @{ App = '1640000102'; Token = 'Riverside High School'; Group = 'Seat teachers' }

        $plan = @(Set-VppAssignment @sub -Intent Required -WhatIf)
        @($plan | Where-Object Action -eq 'Associate').Count | Should -Be 8
        @($plan | Where-Object Action -eq 'WaitForLicense').Target | Should -Be @($teachers[8])
        { Set-VppAssignment @sub -Intent Required -ErrorAction Stop } |
            Should -Throw -ErrorId 'VppLicenseShortage,*' -ExpectedMessage '*needs 9 new renewing seat(s) and 8 are available (1 short)*-AllowShortage*'
        @(Get-VppAssignment) | Should -BeNullOrEmpty

        $assignment = Set-VppAssignment @sub -Intent Required -AllowShortage -WarningVariable short -WarningAction SilentlyContinue
        $assignment.ProductType | Should -Be 'Subscription'
        "$short" | Should -Match '1 member\(s\) wait for a seat'
        $waiting = @(Get-VppAssignmentPlan -Token 'Riverside High School' | Where-Object AdamId -eq '1640000102')
        $waiting.Action | Should -Be @('WaitForLicense')
        $waiting.Target | Should -Be @($teachers[8])
        $seats = { @((Invoke-SimControl $Sim 'locations/Riverside High School/subscriptions/assignments' -Method Get) | ForEach-Object { $_ } | Where-Object adamId -eq 1640000102) }
        (& $seats).Count | Should -Be 10
        @(Get-VppSubscriptionSeat -Subscription 1640000102 -Token 'Riverside High School').Count | Should -Be 10

        # A teacher who leaves keeps the seat until the period end, shown as ending.
        Remove-VppGroupMember -Group 'Seat teachers' -UserPrincipalName $teachers[0]
        Sync-VppToken -Name 'Riverside High School' -WarningAction SilentlyContinue | Out-Null
        $ending = Get-VppSubscriptionSeat -Subscription 1640000102 -User $teachers[0]
        $ending.Ending | Should -BeTrue
        ($ending | Out-String -Width 120) | Should -Match '\bending\b'
        (& $seats).Count | Should -Be 10
        @(Get-VppSubscriptionSeat -Expiring -Subscription 1640000102).UserEmail | Should -Contain $teachers[0]

        # Device groups and device licensing stay refused; -Renewing is for subscriptions only.
        { Set-VppAssignment -App Keynote -Token 'Riverside High School' -Group 'Seat teachers' -Intent Required -Renewing:$false -ErrorAction Stop } |
            Should -Throw -ErrorId 'VppRenewingForSubscriptionsOnly,*'

        # Removed with its seats, at once.
        Remove-VppAssignment @sub -ReclaimLicenses -Immediately -Confirm:$false
        @(Get-VppAssignment) | Should -BeNullOrEmpty
        (& $seats).Count | Should -Be 2
        @(Get-VppSubscriptionSeat -Subscription 1640000102 -Token 'Riverside High School').Count | Should -Be 2
    }
    It 'warns, with -WhatIf too, before retiring a seat holder removed from the directory; Apple releases the seat at once and the next sync shows it free' {
        $readers = 'retire.reader1@riversideusd.org', 'retire.reader2@riversideusd.org'
        New-VppGroup -Name 'Retire readers' -Kind User | Out-Null
        $readers | ForEach-Object { [pscustomobject]@{ UserPrincipalName = $_; Mail = $_ } } | Add-VppGroupMember -Group 'Retire readers'
        $sub = @{ App = '1640000102'; Token = 'Riverside High School'; Group = 'Retire readers' }
        Set-VppAssignment @sub -Intent Required | Out-Null
        $clientUserId = (Get-VppSubscriptionSeat -Subscription 1640000102 -User $readers[0]).ClientUserId
        $clientUserId | Should -Not -BeNullOrEmpty
        $available = (Get-VppSubscription -Name 1640000102 -Token 'Riverside High School').AvailableRenewing

        Remove-VppDirectoryUser -UserPrincipalName $readers[0] -WhatIf -WarningVariable whatIf -WarningAction SilentlyContinue
        "$whatIf" | Should -Match "'$([regex]::Escape($readers[0]))' holds subscription seats: 'Notability[^']*' under 'Riverside High School'.*releases these seats at once"
        @(Get-VppDirectoryUser -UserPrincipalName $readers[0]).Count | Should -Be 1

        Remove-VppDirectoryUser -UserPrincipalName $readers[0] -Confirm:$false -WarningVariable removed -WarningAction SilentlyContinue
        "$removed" | Should -Match 'holds subscription seats'
        $retire = Get-VppAssignmentPlan -Token 'Riverside High School' | Where-Object Action -eq 'RetireVppUser'
        $retire.Target | Should -Be $readers[0]
        $retire.Reason | Should -Match "releases at once the subscription seat\(s\) it holds of 'Notability"

        Sync-VppToken -Name 'Riverside High School' -WarningVariable synced -WarningAction SilentlyContinue | Out-Null
        "$synced" | Should -Match "Retiring the VPP user of '$([regex]::Escape($readers[0]))' \($clientUserId\) under 'Riverside High School' releases at once"
        @((Invoke-SimControl $Sim 'locations/Riverside High School/subscriptions/assignments' -Method Get) | ForEach-Object { $_ } |
            Where-Object { $_.adamId -eq 1640000102 -and $_.clientUserId -eq $clientUserId }) | Should -BeNullOrEmpty
        Sync-VppToken -Name 'Riverside High School' -WarningAction SilentlyContinue | Out-Null
        @(Get-VppSubscriptionSeat -Subscription 1640000102 -Token 'Riverside High School' | Where-Object ClientUserId -eq $clientUserId) | Should -BeNullOrEmpty
        (Get-VppSubscription -Name 1640000102 -Token 'Riverside High School').AvailableRenewing | Should -Be ($available + 1)

        Remove-VppAssignment @sub -ReclaimLicenses -Immediately -Confirm:$false
    }
    It 'gives a seat directly through the pipeline, refuses devices, and an assignment of seats that lapse gives none after its billing period until it is set again' {
        $readers = 'lapse.reader1@riversideusd.org', 'lapse.reader2@riversideusd.org'
        New-VppGroup -Name 'Lapse readers' -Kind User | Out-Null
        $readers | ForEach-Object { [pscustomobject]@{ UserPrincipalName = $_; Mail = $_ } } | Add-VppGroupMember -Group 'Lapse readers'
        $holders = { @((Invoke-SimControl $Sim 'locations/Riverside High School/subscriptions/assignments' -Method Get) | ForEach-Object { $_ } | Where-Object adamId -eq 1640000102) }
        $before = (& $holders).Count

        # Notability Plus (monthly) for one reader, directly, lapsing at the period end.
        $given = Get-VppSubscription -Name 1640000102 -Token 'Riverside High School' | Add-VppAppLicense -User $readers[0] -Renewing:$false
        $given.SeatsAssociated | Should -Be 1
        (Get-VppSubscriptionSeat -Subscription 1640000102 -User $readers[0]).Renewing | Should -BeFalse
        (& $holders).Count | Should -Be ($before + 1)
        Get-VppSubscription -Name 1640000102 -Token 'Riverside High School' | Add-VppAppLicense -Device DMPRHSA00001 -ErrorVariable refused -ErrorAction SilentlyContinue
        $refused[0].FullyQualifiedErrorId | Should -Match '^VppSubscriptionUsersOnly'
        $refused[0].CategoryInfo.Category | Should -Be 'InvalidArgument'
        "$($refused[0])" | Should -Match 'users only.*Give -User instead'
        Remove-VppAppLicense -App 1640000102 -Token 'Riverside High School' -User $readers[0] -Immediately -Confirm:$false | Out-Null
        (& $holders).Count | Should -Be $before

        # An assignment of seats that lapse: after the period end (12 days away) it gives none, and says it lapsed.
        $assignment = Set-VppAssignment -App 1640000102 -Token 'Riverside High School' -Group 'Lapse readers' -Intent Required -Renewing:$false
        ($assignment.Lapsed, $assignment.Renewing) | Should -Be @($false, $false)
        (& $holders).Count | Should -Be ($before + 2)
        $ids = @(Get-VppSubscriptionSeat -Subscription 1640000102 -Token 'Riverside High School' | Where-Object UserEmail -in $readers).ClientUserId
        $ids | Should -HaveCount 2
        Invoke-SimControl $Sim 'clock/advance' -Body @{ seconds = 13 * 86400 } | Out-Null
        Sync-VppToken -Name 'Riverside High School' -WarningAction SilentlyContinue | Out-Null
        $lapsed = Get-VppAssignment | Where-Object Group -eq 'Lapse readers'
        $lapsed.Lapsed | Should -BeTrue
        ($lapsed | Out-String -Width 120) | Should -Match '\bLapsed\b'
        @(& $holders | Where-Object clientUserId -in $ids) | Should -BeNullOrEmpty
        @(Get-VppSubscriptionSeat -Subscription 1640000102 -Token 'Riverside High School' | Where-Object UserEmail -in $readers) | Should -BeNullOrEmpty
        @(Get-VppAssignmentPlan -Token 'Riverside High School' | Where-Object AdamId -eq '1640000102') | Should -BeNullOrEmpty

        # Set again: it covers the new billing period.
        (Set-VppAssignment -App 1640000102 -Token 'Riverside High School' -Group 'Lapse readers' -Intent Required -Renewing:$false).Lapsed | Should -BeFalse
        @(Get-VppSubscriptionSeat -Subscription 1640000102 -Token 'Riverside High School' | Where-Object UserEmail -in $readers).Count | Should -Be 2
        Remove-VppAssignment -App 1640000102 -Token 'Riverside High School' -Group 'Lapse readers' -ReclaimLicenses -Immediately -Confirm:$false
    }

    It 'plans with -WhatIf what the apply does for members who hold a seat already: their VPP users adopted, no seat for them, and the apply counts them licensed' {
        # At Riverside, m.garcia holds a seat of Riverside Reads the school gave before VppPS; d.okafor one through a group
        # in Apple School Manager (Apple refuses changes to it with 9817). Both have VPP users VppPS has not linked yet.
        $holders = 'm.garcia@riversideusd.org', 'd.okafor@riversideusd.org'
        New-VppGroup -Name 'Seat holders' -Kind User | Out-Null
        $holders | ForEach-Object { [pscustomobject]@{ UserPrincipalName = $_; Mail = $_ } } | Add-VppGroupMember -Group 'Seat holders'
        $sub = @{ App = '1640000101'; Token = 'Riverside High School'; Group = 'Seat holders' }
        $seats = { @((Invoke-SimControl $Sim 'locations/Riverside High School/subscriptions/assignments' -Method Get) | ForEach-Object { $_ } |
            Where-Object adamId -eq 1640000101 | ForEach-Object { "$($_.clientUserId)|$($_.renewing)" } | Sort-Object) }
        $before = & $seats

        $plan = @(Set-VppAssignment @sub -Intent Required -WhatIf)
        @($plan | Where-Object Action -in 'Associate', 'WaitForLicense', 'CreateVppUser') | Should -BeNullOrEmpty
        @($plan | Where-Object Action -eq 'AdoptVppUser' | ForEach-Object { "$($_.Target)|$($_.ClientUserId)" } | Sort-Object) |
            Should -Be @('d.okafor@riversideusd.org|rusd-rhs-t-0002', 'm.garcia@riversideusd.org|rusd-rhs-t-0001')
        @(Get-VppAssignment) | Should -BeNullOrEmpty

        $out = @(Set-VppAssignment @sub -Intent Required -Verbose -WarningVariable warned -WarningAction SilentlyContinue 4>&1)
        $said = "$($out | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] })"
        $said | Should -Match '0 subscription seats given, 0 taken back, 0 VPP users created, 2 existing VPP users adopted, 0 failed'
        $warned | Should -BeNullOrEmpty
        $assignment = $out | Where-Object { $_ -isnot [System.Management.Automation.VerboseRecord] }
        $assignment.LicensedCount | Should -Be 2
        ($assignment | Out-String -Width 120) | Should -Match '\b2 users\b'
        (Get-VppAssignment -Group 'Seat holders').LicensedCount | Should -Be 2
        & $seats | Should -Be $before
        @(Get-VppAssignmentPlan -Token 'Riverside High School' | Where-Object AdamId -eq '1640000101') | Should -BeNullOrEmpty

        # Removed with its seats: none was given by VppPS, so both keep theirs.
        Remove-VppAssignment @sub -ReclaimLicenses -Immediately -Confirm:$false
        & $seats | Should -Be $before
    }
}
