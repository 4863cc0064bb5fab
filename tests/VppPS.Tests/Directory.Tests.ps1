BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $env:VPPPS_HOME = New-TestHome
    Import-Module (Get-TestModulePath) -Force
    function Reset-Directory { $env:VPPPS_HOME = New-TestHome }
    function New-Csv([string] $Text) {
        $file = Join-Path $TestDrive ([guid]::NewGuid().ToString('N') + '.csv')
        Set-Content -Path $file -Value $Text
        $file
    }
    $script:Header = 'Type,UserPrincipalName,Mail,ManagedAppleId,DisplayName,Id,SerialNumber,DeviceName,Owner,Platform,Groups'
}
AfterAll { Stop-TestChildren; Remove-TestHome }

Describe 'Groups' {
    BeforeEach { Reset-Directory }

    It 'creates user and device groups and lists them' {
        $group = New-VppGroup -Name Teachers -Kind User -Description 'All teaching staff'
        $group.Name | Should -Be 'Teachers'
        $group.Kind.ToString() | Should -Be 'User'
        $group.MemberCount | Should -Be 0
        New-VppGroup 'Library iPads' Device | Out-Null
        (Get-VppGroup).Name | Should -Be @('Library iPads', 'Teachers')
        (Get-VppGroup -Kind Device).Name | Should -Be 'Library iPads'
        (Get-VppGroup -Name lib*).Name | Should -Be 'Library iPads'
    }

    It 'refuses an existing name, whatever its case' {
        New-VppGroup -Name Teachers -Kind User | Out-Null
        { New-VppGroup -Name TEACHERS -Kind Device -ErrorAction Stop } | Should -Throw -ErrorId 'VppGroupExists,*' -ExpectedMessage '*already exists*'
        @(Get-VppGroup) | Should -HaveCount 1
    }

    It 'refuses a group name that is <Case>, saying why' -ForEach @(
        @{ Case = 'too long'; Name = 'g' * 300; Says = '*300 characters long, and a group name has at most 128*' }
        @{ Case = 'holding a line break'; Name = "Teachers`nAdmins"; Says = '*control character U+000A at position 9*' }
        @{ Case = 'holding a left-to-right isolate'; Name = "Teach`u{2066}ers"; Says = '*bidirectional formatting character U+2066*' }
        @{ Case = 'holding a zero-width space'; Name = "Teach`u{200B}ers"; Says = '*invisible formatting character U+200B at position 6*' }
        @{ Case = 'holding a paragraph separator'; Name = "Teach`u{2029}ers"; Says = '*line or paragraph separator U+2029*' }
    ) {
        { New-VppGroup -Name $Name -Kind User -ErrorAction Stop } | Should -Throw -ErrorId 'VppGroupNameInvalid,*' -ExpectedMessage $Says
        Get-VppGroup | Should -BeNullOrEmpty
    }

    It 'reports a group that does not exist' {
        { Get-VppGroup -Name Nope -ErrorAction Stop } | Should -Throw -ErrorId 'VppGroupNotFound,*'
        { Add-VppGroupMember -Group Nope -UserPrincipalName a@x.example -ErrorAction Stop } | Should -Throw -ErrorId 'VppGroupNotFound,*' -ExpectedMessage '*New-VppGroup*'
    }

    It 'removes a group and its memberships, keeping the users' {
        New-VppGroup -Name Teachers -Kind User | Out-Null
        Add-VppGroupMember -Group Teachers -UserPrincipalName a@x.example
        Get-VppGroup Teachers | Remove-VppGroup -Confirm:$false
        Get-VppGroup | Should -BeNullOrEmpty
        (Get-VppDirectoryUser).UserPrincipalName | Should -Be 'a@x.example'
        (Get-VppAuditLog -Target 'group:Teachers').Action | Should -Contain 'Remove'
    }

    It '-WhatIf creates and removes nothing' {
        New-VppGroup -Name Teachers -Kind User -WhatIf
        Get-VppGroup | Should -BeNullOrEmpty
        New-VppGroup -Name Teachers -Kind User | Out-Null
        Remove-VppGroup -Name Teachers -WhatIf
        Get-VppGroup | Should -HaveCount 1
    }

    It 'completes group names with Tab' {
        New-VppGroup -Name 'Library iPads' -Kind Device | Out-Null
        New-VppGroup -Name Teachers -Kind User | Out-Null
        $line = 'Get-VppGroupMember -Group Lib'
        $completion = TabExpansion2 -inputScript $line -cursorColumn $line.Length
        $completion.CompletionMatches.CompletionText | Should -Be @("'Library iPads'")
        $line = 'Add-VppGroupMember -Group T'
        (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText | Should -Be @('Teachers')
    }
}

Describe 'Add-VppGroupMember and Remove-VppGroupMember' {
    BeforeEach {
        Reset-Directory
        New-VppGroup -Name Teachers -Kind User | Out-Null
        New-VppGroup -Name 'Library iPads' -Kind Device | Out-Null
    }

    It 'takes Microsoft Graph users from the pipeline by property name' {
        $users = [pscustomobject]@{ Id = '7c1e0001'; UserPrincipalName = 'a@x.example'; Mail = 'a@x.example'; DisplayName = 'Ana' },
                 [pscustomobject]@{ Id = '7c1e0002'; UserPrincipalName = 'b@x.example'; Mail = $null }
        $users | Add-VppGroupMember -Group Teachers
        $members = Get-VppGroupMember -Group Teachers
        $members.UserPrincipalName | Should -Be @('a@x.example', 'b@x.example')
        $members[0].Mail | Should -Be 'a@x.example'
        $members[1].Mail | Should -BeNullOrEmpty -Because 'a value of one pipeline item never carries over to the next'
        (Get-VppDirectoryUser a@x.example).ExternalId | Should -Be '7c1e0001'
        (Get-VppGroup Teachers).MemberCount | Should -Be 2
    }

    It 'reads -Member (the second position) as the group''s kind says: serial numbers in a device group, user names in a user group' {
        Add-VppGroupMember 'Library iPads' c02x, c02y
        Add-VppGroupMember Teachers -Member a@x.example
        (Get-VppGroupMember -Group 'Library iPads').SerialNumber | Should -Be @('C02X', 'C02Y')
        (Get-VppGroupMember -Group Teachers).UserPrincipalName | Should -Be @('a@x.example')
        Remove-VppGroupMember 'Library iPads' c02x -Confirm:$false
        Remove-VppGroupMember Teachers -Member a@x.example -Confirm:$false
        (Get-VppGroupMember -Group 'Library iPads').SerialNumber | Should -Be @('C02Y')
        Get-VppGroupMember -Group Teachers | Should -BeNullOrEmpty
    }

    It 'takes Microsoft Graph managed devices into a device group, the UPN as owner' {
        [pscustomobject]@{ Id = 'intune-1'; SerialNumber = 'c02x'; DeviceName = 'iPad 1'; UserPrincipalName = 'a@x.example'; OperatingSystem = 'iPadOS' } |
            Add-VppGroupMember -Group 'Library iPads'
        $member = Get-VppGroupMember -Group 'Library iPads'
        $member.SerialNumber | Should -Be 'C02X'
        $member.DeviceName | Should -Be 'iPad 1'
        $member.Owner | Should -Be 'a@x.example'
        $member.Platform | Should -Be 'iPadOS'
        Get-VppDirectoryUser | Should -BeNullOrEmpty -Because 'an owner is not made a directory user'
    }

    It 'refuses a device in a user group and a user in a device group, per item' {
        $items = [pscustomobject]@{ SerialNumber = 'C02X'; DeviceName = 'iPad 1'; UserPrincipalName = 'a@x.example'; OperatingSystem = 'iPadOS' },
                 [pscustomobject]@{ UserPrincipalName = 'b@x.example' }
        $items | Add-VppGroupMember -Group Teachers -ErrorVariable bad -ErrorAction SilentlyContinue
        $bad | Should -HaveCount 1
        $bad[0].FullyQualifiedErrorId | Should -BeLike 'VppGroupKindMismatch,*'
        $bad[0].Exception.Message | Should -BeLike "*'C02X' is a device*User group*"
        (Get-VppGroupMember -Group Teachers).UserPrincipalName | Should -Be 'b@x.example'
        { Add-VppGroupMember -Group 'Library iPads' -UserPrincipalName b@x.example -ErrorAction Stop } | Should -Throw -ErrorId 'VppGroupKindMismatch,*'
    }

    It 'refuses a user principal name with hidden characters, per item, showing them escaped' {
        $items = [pscustomobject]@{ UserPrincipalName = "gpj.`u{202E}a@x.example" },
                 [pscustomobject]@{ UserPrincipalName = 'b@x.example' }
        $items | Add-VppGroupMember -Group Teachers -ErrorVariable bad -ErrorAction SilentlyContinue
        $bad | Should -HaveCount 1
        $bad[0].FullyQualifiedErrorId | Should -BeLike 'VppUserPrincipalNameInvalid,*'
        "$($bad[0].CategoryInfo.Category)" | Should -Be 'InvalidArgument'
        $bad[0].Exception.Message | Should -BeLike '*gpj.\u202Ea@x.example*bidirectional formatting character U+202E*'
        (Get-VppGroupMember -Group Teachers).UserPrincipalName | Should -Be 'b@x.example'
    }

    It 'updates known users with new values and says so with -PassThru and -Verbose' {
        Add-VppGroupMember -Group Teachers -UserPrincipalName a@x.example
        $verbose = Add-VppGroupMember -Group Teachers -UserPrincipalName a@x.example -ManagedAppleId a@appleid.example -PassThru -Verbose 4>&1
        ($verbose | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }).Message | Should -Contain 'user:a@x.example: updated Managed Apple Account'
        ($verbose | Where-Object { $_ -isnot [System.Management.Automation.VerboseRecord] }).ManagedAppleId | Should -Be 'a@appleid.example'
    }

    It 'removes members by value and from the pipeline; a non-member is reported' {
        Add-VppGroupMember -Group Teachers -UserPrincipalName a@x.example, b@x.example, c@x.example
        Remove-VppGroupMember -Group Teachers -UserPrincipalName a@x.example
        Get-VppGroupMember -Group Teachers | Where-Object UserPrincipalName -eq 'b@x.example' | Remove-VppGroupMember -Group Teachers
        (Get-VppGroupMember -Group Teachers).UserPrincipalName | Should -Be 'c@x.example'
        { Remove-VppGroupMember -Group Teachers -UserPrincipalName a@x.example -ErrorAction Stop } | Should -Throw -ErrorId 'VppGroupMemberNotFound,*'
        (Get-VppAuditLog -Target 'group:Teachers').Action | Should -Contain 'RemoveMember'
    }

    It '-WhatIf writes nothing' {
        Add-VppGroupMember -Group Teachers -UserPrincipalName a@x.example -WhatIf
        Get-VppGroupMember -Group Teachers | Should -BeNullOrEmpty
        Get-VppDirectoryUser | Should -BeNullOrEmpty
        Add-VppGroupMember -Group Teachers -UserPrincipalName a@x.example
        Remove-VppGroupMember -Group Teachers -UserPrincipalName a@x.example -WhatIf
        Get-VppGroupMember -Group Teachers | Should -HaveCount 1
    }

    It 'journals every change' {
        [pscustomobject]@{ UserPrincipalName = 'a@x.example' } | Add-VppGroupMember -Group Teachers
        $entries = Get-VppAuditLog
        ($entries | Where-Object Target -eq 'user:a@x.example').Action | Should -Be 'Add'
        ($entries | Where-Object Target -eq 'group:Teachers').Action | Should -Contain 'AddMember'
        ($entries | Where-Object Target -eq 'group:Teachers' | Where-Object Action -eq 'AddMember').Command | Should -Be 'Add-VppGroupMember'
    }

    It 'takes 100,000 devices from the pipeline in one go' {
        New-VppGroup -Name 'All iPads' -Kind Device | Out-Null
        $devices = foreach ($i in 1..100000) { [pscustomobject]@{ SerialNumber = 'DMP{0:D7}' -f $i; DeviceName = "iPad $i"; UserPrincipalName = "user$i@x.example"; OperatingSystem = 'iPadOS' } }
        $time = Measure-Command { $devices | Add-VppGroupMember -Group 'All iPads' }
        Write-Host "100,000 devices piped into a group: $([math]::Round($time.TotalSeconds, 1)) s"
        (Get-VppGroup 'All iPads').MemberCount | Should -Be 100000
        $time = Measure-Command { $again = @(Get-VppGroupMember -Group 'All iPads') }
        Write-Host "Get-VppGroupMember of 100,000 devices: $([math]::Round($time.TotalSeconds, 1)) s"
        $again | Should -HaveCount 100000
        $again[-1].SerialNumber | Should -Be 'DMP0100000'
    }
}

Describe 'The directory of people and devices' {
    BeforeEach { Reset-Directory }

    It 'removes a person: out of every group, kept as a tombstone, back with the same id' {
        New-VppGroup -Name Teachers -Kind User | Out-Null
        Add-VppGroupMember -Group Teachers -UserPrincipalName a@x.example
        $id = (Get-VppDirectoryUser a@x.example).UserId
        Remove-VppDirectoryUser -UserPrincipalName a@x.example -Confirm:$false
        Get-VppGroupMember -Group Teachers | Should -BeNullOrEmpty
        Get-VppDirectoryUser | Should -BeNullOrEmpty
        $tombstone = Get-VppDirectoryUser -IncludeRemoved
        $tombstone.IsRemoved | Should -BeTrue
        Add-VppGroupMember -Group Teachers -UserPrincipalName a@x.example
        (Get-VppDirectoryUser a@x.example).UserId | Should -Be $id
    }

    It 'Remove-VppDirectoryUser -WhatIf removes nobody' {
        New-VppGroup -Name Teachers -Kind User | Out-Null
        Add-VppGroupMember -Group Teachers -UserPrincipalName a@x.example
        Remove-VppDirectoryUser -UserPrincipalName a@x.example -WhatIf
        Get-VppDirectoryUser | Should -HaveCount 1
        { Remove-VppDirectoryUser -UserPrincipalName nobody@x.example -Confirm:$false -ErrorAction Stop } | Should -Throw -ErrorId 'VppDirectoryUserNotFound,*'
    }

    It 'lists devices with wildcards' {
        New-VppGroup -Name iPads -Kind Device | Out-Null
        Add-VppGroupMember -Group iPads -SerialNumber DMP1, DMP2, C02X
        (Get-VppDevice -SerialNumber DMP*).SerialNumber | Should -Be @('DMP1', 'DMP2')
        (Get-VppDevice C02X).Groups | Should -Be 'iPads'
    }
}

Describe 'Import-VppDirectory' {
    BeforeEach { Reset-Directory }

    It 'imports users, devices and groups, and a second import changes nothing' {
        $file = New-Csv @"
$Header
User,a@x.example,a@x.example,a@appleid.example,"Ruiz, Ana",e1,,,,,Teachers;Science
User,b@x.example,,,,e2,,,,,Teachers
Device,,,,,,dmp1,Library iPad 7,a@x.example,iPadOS,Library iPads
"@
        $result = Import-VppDirectory -Path $file
        $result.UsersAdded | Should -Be 2
        $result.DevicesAdded | Should -Be 1
        $result.GroupsCreated | Should -Be 3
        $result.MembershipsAdded | Should -Be 4
        (Get-VppGroup Science).Kind.ToString() | Should -Be 'User'
        (Get-VppGroup 'Library iPads').Kind.ToString() | Should -Be 'Device'
        (Get-VppDirectoryUser a@x.example).DisplayName | Should -Be 'Ruiz, Ana'
        $second = Import-VppDirectory -Path $file -Verbose 4>&1
        ($second | Where-Object { $_ -isnot [System.Management.Automation.VerboseRecord] }).TotalChanges | Should -Be 0
    }

    It 'says each change with -Verbose' {
        $file = New-Csv "$Header`nUser,a@x.example,,,,,,,,,Teachers"
        $verbose = Import-VppDirectory -Path $file -Verbose 4>&1 | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }
        $verbose.Message | Should -Contain 'user:a@x.example: added to the directory'
        $verbose.Message | Should -Contain 'group:Teachers: added user a@x.example'
    }

    It '-Prune removes what the file does not list; people stay as tombstones' {
        Import-VppDirectory -Path (New-Csv "$Header`nUser,a@x.example,,,,,,,,,Teachers`nUser,b@x.example,,,,,,,,,Teachers`nDevice,,,,,,DMP1,,,,iPads") | Out-Null
        $file = New-Csv "$Header`nUser,a@x.example,,,,,,,,,"
        $result = Import-VppDirectory -Path $file -Prune
        $result.UsersRemoved | Should -Be 1
        $result.DevicesRemoved | Should -Be 1
        $result.MembershipsRemoved | Should -Be 3
        (Get-VppDirectoryUser).UserPrincipalName | Should -Be 'a@x.example'
        (Get-VppDirectoryUser -IncludeRemoved | Where-Object IsRemoved).UserPrincipalName | Should -Be 'b@x.example'
        (Get-VppGroup).Name | Should -Be @('iPads', 'Teachers') -Because 'groups are never pruned'
        (Import-VppDirectory -Path $file -Prune).TotalChanges | Should -Be 0
    }

    It '-WhatIf writes nothing, and says what it would change' {
        $file = New-Csv "$Header`nUser,a@x.example,,,,,,,,,Teachers"
        # "What if:" goes to the host; the changes it counts come as verbose lines.
        $verbose = Import-VppDirectory -Path $file -WhatIf -Verbose 4>&1
        $verbose.Message | Should -Contain 'user:a@x.example: added to the directory'
        $verbose.Message | Should -Contain 'group:Teachers: added user a@x.example'
        Get-VppGroup | Should -BeNullOrEmpty
        Get-VppDirectoryUser | Should -BeNullOrEmpty
        Get-VppAuditLog | Should -BeNullOrEmpty
    }

    It 'refuses <Case> naming the line, and writes nothing' -ForEach @(
        @{ Case = 'a row without Type'; Text = "Type,UserPrincipalName`nUser,a@x.example`n,b@x.example"; ErrorId = 'VppDirectoryRowInvalid'; Line = 'Line 3' }
        @{ Case = 'an unknown Type'; Text = "Type,UserPrincipalName`nUser,a@x.example`nPrinter,p@x.example"; ErrorId = 'VppDirectoryRowInvalid'; Line = 'Line 3' }
        @{ Case = 'a device without serial number'; Text = "Type,SerialNumber,DeviceName`nDevice,,iPad"; ErrorId = 'VppDirectoryRowInvalid'; Line = 'Line 2' }
        @{ Case = 'a user listed twice'; Text = "Type,UserPrincipalName`nUser,a@x.example`nUser,A@X.example"; ErrorId = 'VppDirectoryRowDuplicate'; Line = 'Line 3' }
        @{ Case = 'a file that is not CSV'; Text = "just some text`nnothing else"; ErrorId = 'VppDirectoryFileNotCsv'; Line = 'header' }
        @{ Case = 'a user principal name with a right-to-left override'; Text = "Type,UserPrincipalName`nUser,a@x.example`nUser,gpj.`u{202E}b@x.example"; ErrorId = 'VppDirectoryRowInvalid'; Line = 'Line 3*bidirectional formatting character U+202E' }
        @{ Case = 'a mail with a zero-width space'; Text = "Type,UserPrincipalName,Mail`nUser,a@x.example,a`u{200B}@x.example"; ErrorId = 'VppDirectoryRowInvalid'; Line = 'Line 2*invisible formatting character U+200B' }
        @{ Case = 'a serial number with a byte order mark'; Text = "Type,SerialNumber`nDevice,DMP1`nDevice,DMP`u{FEFF}2"; ErrorId = 'VppDirectoryRowInvalid'; Line = 'Line 3*invisible formatting character U+FEFF' }
        @{ Case = 'a user put in a device group'; Text = "Type,UserPrincipalName,SerialNumber,Groups`nDevice,,DMP1,iPads`nUser,a@x.example,,iPads"; ErrorId = 'VppGroupKindMismatch'; Line = 'Line 3' }
    ) {
        $file = New-Csv $Text
        $caught = $null
        try { Import-VppDirectory -Path $file -ErrorAction Stop } catch { $caught = $_ }
        $caught.FullyQualifiedErrorId | Should -BeLike "$ErrorId,*"
        $caught.Exception.Message | Should -BeLike "*$Line*"
        Get-VppGroup | Should -BeNullOrEmpty
        Get-VppDirectoryUser -IncludeRemoved | Should -BeNullOrEmpty
        Get-VppDevice -IncludeRemoved | Should -BeNullOrEmpty
        Get-VppAuditLog | Should -BeNullOrEmpty
    }

    It 'refuses a missing file' {
        { Import-VppDirectory -Path (Join-Path $TestDrive 'none.csv') -ErrorAction Stop } | Should -Throw -ErrorId 'VppDirectoryFileNotFound,*'
    }

    It 'binds FullName from Get-ChildItem' {
        $file = New-Csv "$Header`nUser,a@x.example,,,,,,,,,Teachers"
        (Get-Item $file | Import-VppDirectory).UsersAdded | Should -Be 1
    }
}

Describe 'Views' {
    BeforeAll {
        Reset-Directory
        $file = New-Csv @"
$Header
User,a.very.long.user.principal.name@a-rather-long-domain.example,a.very.long.mail@a-rather-long-domain.example,a.very.long.managed.apple.id@appleid.example,A Display Name That Is Rather Long,e1,,,,,Teachers With A Long Group Name;Science
Device,,,,,,DMPXK2ABCD12ABCD,A Device Name That Is Long,a.very.long.user.principal.name@a-rather-long-domain.example,iPadOS,Library iPads With A Long Name
"@
        $script:Imported = Import-VppDirectory -Path $file
    }

    It 'fits <Name> in 120 columns' -ForEach @(
        @{ Name = 'Get-VppGroup'; Command = { Get-VppGroup } }
        @{ Name = 'Get-VppGroupMember (users)'; Command = { Get-VppGroupMember -Group Science } }
        @{ Name = 'Get-VppGroupMember (devices)'; Command = { Get-VppGroupMember -Group 'Library iPads With A Long Name' } }
        @{ Name = 'Get-VppDirectoryUser'; Command = { Get-VppDirectoryUser } }
        @{ Name = 'Get-VppDevice'; Command = { Get-VppDevice } }
        @{ Name = 'Import-VppDirectory'; Command = { $Imported } }
    ) {
        $lines = & $Command | Format-Table | Out-String -Width 120 -Stream
        ($lines | Where-Object { $_ -match '\S' }).Count | Should -BeGreaterThan 2
        ($lines | Where-Object { $_.Length -gt 120 }) | Should -BeNullOrEmpty
    }
}
