# Pipelines between cmdlets whose output is the natural input of another: each pair does the
# right thing, or fails with an error, never silently wrong. The pairs, from the cmdlets' output
# types and pipeline parameters (Get-Command -Module VppPS | pipeline parameters):
#
#   VppToken        -> Get-VppLicensedApp/Book, Get-VppLicense, Get-VppUser, Get-VppAssignment (-TokenObject)
#                   -> Sync-, Test-, Set-, Remove-VppToken (-InputObject), Get-VppAssignmentPlan, Get-VppSyncHistory (Name)
#   LicensedAsset   -> Get-VppLicense, Get-VppAssignment (AdamId, Token, PricingParam)
#                   -> Set-VppAssignment, Add-VppAppLicense, Remove-VppAppLicense (-InputObject)
#   LicenseHolder   -> Get-VppLicensedApp (AdamId, Token, PricingParam), Remove-VppAppLicense (-InputObject: that license)
#   VppUser         -> Get-VppLicense (ClientUserId, Token)
#   VppGroup        -> Get-VppGroupMember (Name), Get-VppAssignment (-GroupObject)
#   VppGroupMember  -> Add-/Remove-VppGroupMember (UserPrincipalName, SerialNumber), Get-VppLicense (SerialNumber)
#   DirectoryUser   -> Add-VppGroupMember, Remove-VppAppLicense -App (UserPrincipalName)
#   DirectoryDevice -> Add-VppGroupMember, Get-VppLicense (SerialNumber)
#   VppAssignment   -> Remove-VppAssignment (-InputObject), Get-VppLicense, Get-VppGroupMember (Group)
#   Objects of the wrong kind (an app into Remove-VppAssignment, a group into Get-VppLicensedApp) fail with an error.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Get-TestModulePath) -Force
    $env:VPPPS_RETRY_BASE_DELAY_MS = '5'
    $env:VPPPS_HOME = New-TestHome
    Set-VppConfiguration -StatusPollIntervalSeconds 0 -Confirm:$false
    $script:Sim = Start-VppSimulator -Scenario Demo
    $Sim.TokenFiles | Add-VppToken -AppleId 'vpp-admin@riversideusd.example' -AccountType Education -WarningAction SilentlyContinue | Out-Null
    Sync-VppToken -All | Out-Null
    $script:Riverside = 'Riverside High School'
    $script:Lincoln = 'Lincoln Middle School'
    $script:OakPark = 'Oak Park Elementary'
    New-VppGroup -Name 'Cart B' -Kind Device | Out-Null
    1..3 | ForEach-Object { [pscustomobject]@{ SerialNumber = 'CARTB{0:D4}' -f $_ } } | Add-VppGroupMember -Group 'Cart B'
    New-VppGroup -Name 'Cart C' -Kind Device | Out-Null
    New-VppGroup -Name 'Teachers' -Kind User | Out-Null
    [pscustomobject]@{ UserPrincipalName = 'j.rivera@riversideusd.org'; Mail = 'j.rivera@riversideusd.org' } | Add-VppGroupMember -Group Teachers

    # Runs a pipeline and returns what it wrote and the errors it wrote (ids), without stopping.
    function Invoke-Collecting([scriptblock] $pipeline) {
        $all = @(& { $ErrorActionPreference = 'Continue'; & $pipeline } 2>&1)
        $errors = @($all | Where-Object { $_ -is [System.Management.Automation.ErrorRecord] })
        [pscustomobject]@{
            Output = @($all | Where-Object { $_ -isnot [System.Management.Automation.ErrorRecord] })
            ErrorIds = @($errors | ForEach-Object { $_.FullyQualifiedErrorId -replace ',.*$' })
            Errors = $errors
            Messages = @($errors | ForEach-Object { $_.Exception.Message })
        }
    }
}
AfterAll { Stop-VppSimulator; Stop-TestChildren; Remove-TestHome; Remove-Item Env:VPPPS_RETRY_BASE_DELAY_MS -ErrorAction Ignore }

Describe 'Tokens piped into the inventory' {
    It 'Get-VppToken | Get-VppLicensedApp lists what the token bought, not apps named like the token' {
        $apps = @(Get-VppToken -Name 'Riverside*' | Get-VppLicensedApp)
        $apps.Count | Should -Be @(Get-VppLicensedApp -Token 'Riverside*').Count
        $apps.Count | Should -BeGreaterThan 0
        @($apps.Token | Sort-Object -Unique) | Should -Be @($Riverside)
    }

    It 'Get-VppToken | Get-VppLicensedBook lists the token''s books, and -Name narrows them' {
        @(Get-VppToken -Name 'Lincoln*' | Get-VppLicensedBook).Name | Should -Be @('The Adventures of Tom Sawyer')
        $keynote = @(Get-VppToken -Name 'Oak*' | Get-VppLicensedApp -Name Keynote)
        $keynote.Count | Should -Be 1
        $keynote[0].Token | Should -Be $OakPark
    }

    It 'Get-VppToken | Get-VppLicense and Get-VppUser give only that token''s licenses and users' {
        $licenses = @(Get-VppToken -Name 'Lincoln*' | Get-VppLicense)
        $licenses.Count | Should -Be 10   # 14 at Apple, 4 of them of the custom B2B app (not synced)
        @($licenses.Token | Sort-Object -Unique) | Should -Be @($Lincoln)
        @(Get-VppToken | Get-VppLicense -App Keynote).Count | Should -Be @(Get-VppLicense -App Keynote).Count
        $users = @(Get-VppToken -Name 'Oak*' | Get-VppUser)
        @($users.ClientUserId | Sort-Object) | Should -Be @('rusd-ope-t-0001', 'rusd-ope-t-0002')
    }

    It 'Get-VppToken | Sync-VppToken, Test-VppToken, Get-VppSyncHistory and Get-VppAssignmentPlan act on that token only' {
        $runs = @(Get-VppToken -Name 'Oak*' | Sync-VppToken)
        $runs.Count | Should -Be 1
        $runs[0].TokenName | Should -Be $OakPark
        @(Get-VppToken -Name 'Oak*' | Test-VppToken).TokenName | Sort-Object -Unique | Should -Be $OakPark
        @(Get-VppToken -Name 'Oak*' | Get-VppSyncHistory).TokenName | Sort-Object -Unique | Should -Be $OakPark
        { Get-VppToken -Name 'Oak*' | Get-VppAssignmentPlan -ErrorAction Stop } | Should -Not -Throw
    }
}

Describe 'Apps and licenses piped on' {
    It 'an app from one token lists that token''s license holders only (Get-VppLicensedApp | Get-VppLicense)' {
        # Swift Playgrounds: 2 devices under Riverside, 4 under Lincoln, 5 under Oak Park.
        $holders = @(Get-VppLicensedApp -Name 'Swift Playgrounds' | Get-VppLicense)
        $holders.Count | Should -Be 11
        @(Get-VppLicensedApp -Name 'Swift Playgrounds' -Token 'Lincoln*' | Get-VppLicense).Count | Should -Be 4
        @(Get-VppLicensedApp -Name 'Swift Playgrounds' -Token 'Lincoln*' | Get-VppLicense).Token | Sort-Object -Unique | Should -Be $Lincoln
        @(Get-VppLicensedApp -Name Keynote | Get-VppLicense).Count | Should -Be @(Get-VppLicense -App Keynote).Count
    }

    It 'a license piped into Get-VppLicensedApp gives the one app it belongs to' {
        $license = Get-VppLicense -App 'Swift Playgrounds' -Token 'Oak*' | Select-Object -First 1
        $apps = @($license | Get-VppLicensedApp)
        $apps.Count | Should -Be 1
        $apps[0].Token | Should -Be $OakPark
        $apps[0].Name | Should -Be 'Swift Playgrounds'
    }

    It 'a VPP user piped into Get-VppLicense gives that user''s licenses' {
        $user = Get-VppUser -Email 'm.garcia@riversideusd.org'
        @($user | Get-VppLicense | ForEach-Object AdamId | Sort-Object) | Should -Be @('361285480', '361309726')
    }

    It 'a device of the directory or a group member piped into Get-VppLicense gives that device''s licenses' {
        New-VppGroup -Name 'RHS Carts' -Kind Device | Out-Null
        [pscustomobject]@{ SerialNumber = 'F9FZQ1A1JF8J' } | Add-VppGroupMember -Group 'RHS Carts'
        @(Get-VppGroupMember -Group 'RHS Carts' | Get-VppLicense).Count | Should -Be 2   # iMovie, Swift Playgrounds (the B2B app is not synced)
        @(Get-VppDevice -SerialNumber 'F9FZQ1A1JF8J' | Get-VppLicense).Count | Should -Be 2
    }
}

Describe 'Assignments through the pipeline' {
    It 'the same app piped from several tokens is assigned once, the others refused, with -WhatIf too' {
        $trial = Invoke-Collecting { Get-VppLicensedApp -Name Keynote | Set-VppAssignment -Group 'Cart B' -Intent Required -WhatIf }
        @($trial.Output | Where-Object Action -eq Associate).Count | Should -Be 3
        $trial.ErrorIds | Should -Be @('VppAppAssignedFromAnotherToken', 'VppAppAssignedFromAnotherToken')
        Get-VppAssignment -Group 'Cart B' | Should -BeNullOrEmpty

        $done = Invoke-Collecting { Get-VppLicensedApp -Name Keynote | Set-VppAssignment -Group 'Cart B' -Intent Required }
        @($done.Output).Count | Should -Be 1
        $done.ErrorIds | Should -Be @('VppAppAssignedFromAnotherToken', 'VppAppAssignedFromAnotherToken')
        $done.Errors[0].Exception.Message | Should -Match 'second license'
        # One license of Keynote per iPad, whatever the tokens.
        foreach ($serial in 'CARTB0001', 'CARTB0002', 'CARTB0003') { @(Get-VppLicense -App Keynote -Device $serial).Count | Should -Be 1 }
        # Naming another token later is refused the same way.
        $other = @(Get-VppToken).Name | Where-Object { $_ -ne $done.Output[0].Token } | Select-Object -First 1
        { Set-VppAssignment -App Keynote -Token $other -Group 'Cart B' -Intent Required -ErrorAction Stop } | Should -Throw -ErrorId 'VppAppAssignedFromAnotherToken*'
    }

    It 'an app piped into Get-VppAssignment, and a group piped in, list their own assignments only' {
        $assigned = Get-VppAssignment -Group 'Cart B' -App Keynote
        @(Get-VppLicensedApp -Name Keynote -Token $assigned.Token | Get-VppAssignment).Id | Should -Be @($assigned.Id)
        $elsewhere = @(Get-VppToken).Name | Where-Object { $_ -ne $assigned.Token } | Select-Object -First 1
        Get-VppLicensedApp -Name Keynote -Token $elsewhere | Get-VppAssignment | Should -BeNullOrEmpty
        @(Get-VppGroup -Name 'Cart B' | Get-VppAssignment).Group | Sort-Object -Unique | Should -Be 'Cart B'
        Get-VppGroup -Name 'Cart C' | Get-VppAssignment | Should -BeNullOrEmpty
        @(Get-VppToken -Name $assigned.Token | Get-VppAssignment).Id | Should -Contain $assigned.Id
    }

    It 'an assignment piped into Get-VppGroupMember and Get-VppLicense gives its group''s members and its app''s holders under its token' {
        $assigned = Get-VppAssignment -Group 'Cart B' -App Keynote
        @($assigned | Get-VppGroupMember).SerialNumber | Should -Be @('CARTB0001', 'CARTB0002', 'CARTB0003')
        @($assigned | Get-VppLicense).Token | Sort-Object -Unique | Should -Be $assigned.Token
    }

    It 'something that is not an assignment piped into Remove-VppAssignment is refused; an assignment is removed' {
        $wrong = Invoke-Collecting { Get-VppLicensedApp -Name Keynote -Token 'Oak*' | Remove-VppAssignment -Confirm:$false }
        $wrong.ErrorIds | Should -Be @('VppNotAnAssignment')
        Get-VppAssignment -Group 'Cart B' | Remove-VppAssignment -Confirm:$false
        Get-VppAssignment -Group 'Cart B' | Should -BeNullOrEmpty
    }

    It 'a piped app licenses a device directly, and the license piped from Get-VppLicense is reclaimed alone' {
        $app = Get-VppLicensedApp -Name GarageBand -Token 'Riverside*'
        $app | Add-VppAppLicense -Device 'CARTB0002' -Force | Out-Null
        $license = Get-VppLicense -App GarageBand -Token 'Riverside*' -Device 'CARTB0002'
        $license.AssignedByVppPS | Should -BeTrue
        $before = @(Get-VppLicense -App GarageBand -Token 'Riverside*').Count
        $result = $license | Remove-VppAppLicense -Confirm:$false
        $result.Disassociated | Should -Be 1
        @(Get-VppLicense -App GarageBand -Token 'Riverside*').Count | Should -Be ($before - 1)
    }

    It 'a license assigned outside VppPS piped into Remove-VppAppLicense is left, with a warning that says why' {
        $outside = Get-VppLicense -App GarageBand -Token 'Riverside*' | Where-Object { -not $_.AssignedByVppPS } | Select-Object -First 1
        $warnings = $null
        $result = $outside | Remove-VppAppLicense -Confirm:$false -WarningVariable warnings -WarningAction SilentlyContinue
        $result.Disassociated | Should -Be 0
        "$warnings" | Should -Match 'IncludeUnmanaged'
    }
}

Describe 'Objects of another kind piped into the token cmdlets and Get-VppLicensedApp' {
    It 'an app piped into Get-VppToken, Test-VppToken or Sync-VppToken is refused as not a token' {
        foreach ($command in 'Get-VppToken', 'Test-VppToken', 'Sync-VppToken') {
            $piped = Invoke-Collecting { Get-VppLicensedApp -Name Keynote -Token 'Riverside*' | & $command -WarningAction SilentlyContinue }
            $piped.ErrorIds | Should -Be @('VppNotAToken') -Because "$command refuses an app"
            $piped.Messages[0] | Should -BeLike "'Keynote' is not a token: pipe the objects of Get-VppToken*"
            $piped.Output | Should -BeNullOrEmpty
        }
        # A name given on the command line that matches nothing is still "no token is named".
        (Invoke-Collecting { Get-VppToken -Name Keynote }).ErrorIds | Should -Be @('VppTokenNotFound')
    }

    It 'a VPP user piped into Get-VppLicensedApp is refused, pointing at Get-VppLicense -User' {
        $piped = Invoke-Collecting { Get-VppUser -Email 'm.garcia@riversideusd.org' | Get-VppLicensedApp }
        $piped.ErrorIds | Should -Be @('VppNotAnApp')
        $piped.Messages[0] | Should -Match 'Get-VppLicense -User'
        $piped.Output | Should -BeNullOrEmpty
    }
}

Describe 'Groups, assignments, devices and VPP users bound by property name' {
    BeforeAll {
        New-VppGroup -Name 'Cart D' -Kind Device | Out-Null
        [pscustomobject]@{ SerialNumber = 'CARTD0001' } | Add-VppGroupMember -Group 'Cart D'
    }

    It 'Get-VppAssignment | Set-VppAssignment -Intent ... keeps each assignment''s app, token and group' {
        Set-VppAssignment -App Keynote -Token $Riverside -Group Teachers -Intent Uninstall | Out-Null
        $changed = @(Get-VppAssignment -Group Teachers | Set-VppAssignment -Intent Available)
        $changed.Count | Should -Be 1
        $changed[0].Group | Should -Be 'Teachers'
        $changed[0].App | Should -Be 'Keynote'
        $changed[0].Token | Should -Be $Riverside
        $changed[0].Intent | Should -Be 'Available'
        @(Get-VppAssignment -Group Teachers).Count | Should -Be 1
        Get-VppAssignment -Group Teachers | Remove-VppAssignment -Confirm:$false
    }

    It 'Get-VppGroup | Set-VppAssignment -App ... assigns the app to that group' {
        $assigned = @(Get-VppGroup -Name 'Cart D' | Set-VppAssignment -App Keynote -Token $Riverside -Intent Required)
        $assigned.Count | Should -Be 1
        $assigned[0].Group | Should -Be 'Cart D'
        Get-VppAssignment -Group 'Cart D' | Remove-VppAssignment -ReclaimLicenses -Confirm:$false
    }

    It 'Get-VppDevice | Add-VppAppLicense -App ... -Force licenses that device, and Remove-VppAppLicense takes it back' {
        $given = Get-VppDevice -SerialNumber 'CARTD0001' | Add-VppAppLicense -App GarageBand -Token $Riverside -Force
        $given.Associated | Should -Be 1
        @(Get-VppLicense -App GarageBand -Device 'CARTD0001').Count | Should -Be 1
        $taken = Get-VppDevice -SerialNumber 'CARTD0001' | Remove-VppAppLicense -App GarageBand -Token $Riverside -Confirm:$false
        $taken.Disassociated | Should -Be 1
        Get-VppLicense -App GarageBand -Device 'CARTD0001' | Should -BeNullOrEmpty
    }

    It 'Get-VppUser | Remove-VppAppLicense -App ... takes the license back under the user''s own token' {
        # Keynote is bought under every token: the piped VPP user's Token says which one.
        $user = Get-VppUser -Email 'm.garcia@riversideusd.org'
        $taken = $user | Remove-VppAppLicense -App Keynote -IncludeUnmanaged -Confirm:$false
        $taken.Token | Should -Be $user.Token
        $taken.Disassociated | Should -Be 1
        Get-VppLicense -App Keynote -User 'm.garcia@riversideusd.org' | Should -BeNullOrEmpty
    }
}

Describe 'Directory objects piped into groups and licenses' {
    It 'directory users, devices and group members go into another group, and back out' {
        Get-VppDirectoryUser -UserPrincipalName 'j.rivera@riversideusd.org' | Add-VppGroupMember -Group 'Teachers' | Out-Null
        Get-VppDevice -SerialNumber 'CARTB0001' | Add-VppGroupMember -Group 'Cart C' | Out-Null
        Get-VppGroupMember -Group 'Cart B' | Add-VppGroupMember -Group 'Cart C' | Out-Null
        @(Get-VppGroupMember -Group 'Cart C').SerialNumber | Should -Be @('CARTB0001', 'CARTB0002', 'CARTB0003')
        Get-VppGroup -Name 'Cart C' | Get-VppGroupMember | Select-Object -First 2 | Remove-VppGroupMember -Group 'Cart C' -Confirm:$false
        @(Get-VppGroupMember -Group 'Cart C').SerialNumber | Should -Be @('CARTB0003')
    }

    It 'a directory user piped into Remove-VppAppLicense -App names that user' {
        $app = Get-VppLicensedApp -Name Pages -Token 'Riverside*'
        $app | Add-VppAppLicense -User 'j.rivera@riversideusd.org' -Force | Out-Null
        @(Get-VppLicense -App Pages -Token 'Riverside*' | Where-Object AssignedByVppPS).Count | Should -Be 1
        $result = Get-VppDirectoryUser -UserPrincipalName 'j.rivera@riversideusd.org' | Remove-VppAppLicense -App Pages -Token $Riverside -Confirm:$false
        $result.Disassociated | Should -Be 1
        Get-VppLicense -App Pages -Token 'Riverside*' | Where-Object AssignedByVppPS | Should -BeNullOrEmpty
    }

    It 'objects of the wrong kind fail with an error instead of matching something else' {
        (Invoke-Collecting { Get-VppGroup -Name 'Cart B' | Get-VppLicensedApp }).ErrorIds | Should -Be @('VppAppNotFound')
        (Invoke-Collecting { Get-VppGroup -Name 'Cart B' | Get-VppLicensedApp }).Output | Should -BeNullOrEmpty
        { Get-VppDirectoryUser | Get-VppLicense -ErrorAction Stop } | Should -Throw -ErrorId 'InputObjectNotBound*'
        { 'Riverside High School' | Sync-VppToken -ErrorAction Stop } | Should -Throw -ErrorId 'InputObjectNotBound*'
    }

    It 'Get-VppToken | Remove-VppToken removes that token only' {
        Get-VppToken -Name 'Oak*' | Remove-VppToken -Force -Confirm:$false
        @(Get-VppToken).Name | Should -Be @($Lincoln, $Riverside)
    }
}
