# Tab completion as a person gets it (TabExpansion2): names of tokens, groups, apps and books,
# directory users and devices, and VPP users' e-mail addresses, quoted when they hold spaces.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Get-TestModulePath) -Force
    $env:VPPPS_HOME = New-TestHome
    $script:Sim = Start-VppSimulator -Scenario Demo
    $Sim.TokenFiles | Add-VppToken -AppleId 'vpp-admin@riversideusd.example' -AccountType Education -WarningAction SilentlyContinue | Out-Null
    Sync-VppToken -All | Out-Null
    New-VppGroup -Name 'RHS Cart A' -Kind Device | Out-Null
    1..3 | ForEach-Object { [pscustomobject]@{ SerialNumber = 'DMPRHSA{0:D5}' -f $_ } } | Add-VppGroupMember -Group 'RHS Cart A'
    New-VppGroup -Name 'RHS Science Teachers' -Kind User | Out-Null
    'j.rivera@riversideusd.org', 'p.nguyen@riversideusd.org' | ForEach-Object { [pscustomobject]@{ UserPrincipalName = $_ } } | Add-VppGroupMember -Group 'RHS Science Teachers'

    # What Tab offers at the end of $line, as the text it would insert.
    function Get-Completion([string] $line) {
        @((TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText)
    }
}
AfterAll { Stop-VppSimulator; Stop-TestChildren; Remove-TestHome }

Describe 'Argument completion' {
    It 'completes app names for -App, quoted when they hold a space, and offers no files' {
        Get-Completion 'Set-VppAssignment -App Key' | Should -Be @('Keynote')
        Get-Completion 'Set-VppAssignment -App Swi' | Should -Be @("'Swift Playgrounds'")
        Get-Completion "Set-VppAssignment -App 'Swi" | Should -Be @("'Swift Playgrounds'")
        Get-Completion 'Add-VppAppLicense -App Gar' | Should -Be @('GarageBand')
        Get-Completion 'Remove-VppAssignment -App Fra' | Should -Be @('Frankenstein')
        Get-Completion 'Set-VppAssignment -App Zzz' | Should -BeNullOrEmpty
    }

    It 'scopes app names by -Token when it is given' {
        Get-Completion 'Set-VppAssignment -App N' | Should -Be @('Notability', 'Numbers')
        Get-Completion "Set-VppAssignment -Token 'Oak Park Elementary' -App N" | Should -Be @('Notability')
        Get-Completion "Get-VppLicense -Token 'Oak*' -App N" | Should -Be @('Notability')
    }

    It 'offers only apps to Get-VppLicensedApp and only books to Get-VppLicensedBook' {
        Get-Completion 'Get-VppLicensedApp -Name F' | Should -BeNullOrEmpty
        Get-Completion 'Get-VppLicensedBook -Name F' | Should -Be @('Frankenstein')
        Get-Completion 'Get-VppLicensedBook -Name ' | Should -Contain "'Pride and Prejudice'"
        Get-Completion 'Get-VppLicensedBook -Name ' | Should -Not -Contain 'Keynote'
        Get-Completion 'Get-VppLicensedApp K' | Should -Be @('Keynote')
    }

    It 'completes user principal names and serial numbers of the directory' {
        Get-Completion 'Add-VppAppLicense -App Keynote -User j.' | Should -Be @('j.rivera@riversideusd.org')
        Get-Completion 'Add-VppAppLicense -App Keynote -Device DMPRHSA' | Should -Be @('DMPRHSA00001', 'DMPRHSA00002', 'DMPRHSA00003')
        Get-Completion 'Remove-VppAppLicense -App Keynote -Device DMPRHSA00002' | Should -Be @('DMPRHSA00002')
        Get-Completion "Remove-VppGroupMember -Group 'RHS Science Teachers' -UserPrincipalName p." | Should -Be @('p.nguyen@riversideusd.org')
        Get-Completion 'Get-VppDirectoryUser j' | Should -Be @('j.rivera@riversideusd.org')
        Get-Completion 'Get-VppDevice DMPRHSA00003' | Should -Be @('DMPRHSA00003')
        Get-Completion 'Remove-VppDirectoryUser -UserPrincipalName nobody' | Should -BeNullOrEmpty
    }

    It 'completes the e-mail addresses of VPP users, scoped by -Token' {
        Get-Completion 'Get-VppUser -Email noah' | Should -Be @('noah.kim@students.riversideusd.org')
        Get-Completion 'Get-VppLicense -User m.' | Should -Be @('m.garcia@riversideusd.org')
        Get-Completion "Get-VppUser -Token 'Lincoln*' -Email m" | Should -Be @('mia.johnson@students.riversideusd.org')
    }

    It 'completes subscriptions by adamId for -Name, -Subscription and -App, and seat holders for -User' {
        Get-Completion 'Get-VppSubscription -Name 164' | Should -Be @('1640000101', '1640000102', '1640000103')
        Get-Completion "Get-VppSubscription -Token 'Lincoln*' -Name 164" | Should -Be @('1640000101')
        Get-Completion 'Get-VppSubscriptionSeat -Subscription 1640000102' | Should -Be @('1640000102')
        Get-Completion 'Get-VppSubscriptionSeat -User noah' | Should -Be @('noah.kim@students.riversideusd.org')
        Get-Completion 'Add-VppAppLicense -App 16400001' | Should -Be @('1640000101', '1640000102', '1640000103')
        Get-Completion 'Set-VppAssignment -App 1640000101' | Should -Be @('1640000101')
        Get-Completion 'Get-VppLicensedApp -Name 164' | Should -BeNullOrEmpty   # apps only: a subscription is not listed there
    }

    It 'completes -Member as the group''s kind says: serial numbers of a device group, user names of a user group' {
        Get-Completion "Remove-VppGroupMember -Group 'RHS Cart A' -Member DMPRHSA0000" | Should -Be @('DMPRHSA00001', 'DMPRHSA00002', 'DMPRHSA00003')
        Get-Completion "Remove-VppGroupMember -Group 'RHS Cart A' -Member j." | Should -BeNullOrEmpty
        Get-Completion "Remove-VppGroupMember -Group 'RHS Cart A' DMPRHSA00002" | Should -Be @('DMPRHSA00002')
        Get-Completion "Add-VppGroupMember -Group 'RHS Science Teachers' -Member p." | Should -Be @('p.nguyen@riversideusd.org')
        Get-Completion "Add-VppGroupMember -Group 'RHS Science Teachers' -Member DMP" | Should -BeNullOrEmpty
    }

    It 'offers no file names for any -Name, -App, -Subscription, -User, -Member, -Device, -Group or -Token of any cmdlet' {
        # A folder holding files whose names start like the text typed: a parameter without a completer would offer them.
        $folder = New-Item -ItemType Directory (Join-Path $env:VPPPS_HOME 'files')
        foreach ($file in 'Keynote.txt', 'DMPRHSA-list.csv', 'j.rivera.txt', '1640000101.json', 'Riverside.txt', 'RHS Cart A.txt') { New-Item -ItemType File (Join-Path $folder $file) | Out-Null }
        $typed = @{ Name = 'R'; App = 'Key'; Subscription = '164'; User = 'j.'; Member = 'DMP'; Device = 'DMP'; Group = 'RHS'; Token = 'Riv' }
        Push-Location $folder
        try {
            $checked = 0
            foreach ($command in Get-Command -Module VppPS -CommandType Cmdlet) {
                foreach ($parameter in $command.Parameters.Values | Where-Object { $typed.ContainsKey($_.Name) -and $_.ParameterType -in [string], [string[]] }) {
                    $line = "$($command.Name) -$($parameter.Name) $($typed[$parameter.Name])"
                    $offered = @((TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches)
                    @($offered | Where-Object ResultType -in 'ProviderItem', 'ProviderContainer').CompletionText | Should -BeNullOrEmpty -Because "'$line' should not offer files"
                    $checked++
                }
            }
            $checked | Should -BeGreaterThan 40
        }
        finally { Pop-Location }
    }

    It 'puts a completer on every parameter that takes the name of a token, group, app, user or device' {
        $expected = @{
            App = 'AssetNameCompleter'; Token = 'TokenNameCompleter'; Group = 'GroupNameCompleter'
            UserPrincipalName = 'UserNameCompleter'; SerialNumber = 'SerialNumberCompleter'; Device = 'SerialNumberCompleter'
        }
        foreach ($command in Get-Command -Module VppPS -CommandType Cmdlet) {
            foreach ($parameter in $command.Parameters.Values | Where-Object { $_.ParameterType -in [string], [string[]] -and $expected.ContainsKey($_.Name) }) {
                $completer = $parameter.Attributes | Where-Object { $_ -is [System.Management.Automation.ArgumentCompleterAttribute] }
                $completer.Type.Name | Should -Be $expected[$parameter.Name] -Because "-$($parameter.Name) of $($command.Name) takes such a name"
            }
        }
        foreach ($name in 'Get-VppSubscription', 'Get-VppSubscriptionSeat') {
            $parameter = if ($name -eq 'Get-VppSubscription') { 'Name' } else { 'Subscription' }
            ((Get-Command $name).Parameters[$parameter].Attributes | Where-Object { $_ -is [System.Management.Automation.ArgumentCompleterAttribute] }).Type.Name | Should -Be 'SubscriptionNameCompleter'
        }
        foreach ($name in 'Get-VppLicensedApp', 'Get-VppLicensedBook') {
            ((Get-Command $name).Parameters.Name.Attributes | Where-Object { $_ -is [System.Management.Automation.ArgumentCompleterAttribute] }).Type.Name | Should -Be 'AssetNameCompleter'
        }
    }
}
