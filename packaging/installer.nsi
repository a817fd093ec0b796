; OpDial Windows installer: per user, no administrator rights.
;
;   python packaging/build.py                      (on Windows: builds dist\opdial, then this)
;   makensis -DDIST_DIR=<dist\opdial> -DOUT_DIR=<dist> packaging\installer.nsi
;
; Installs into %LOCALAPPDATA%\Programs\OpDial, adds a Start-menu shortcut and an "Apps & features"
; entry under HKCU, and registers the tel:, callto: and opdial: handlers with the exact layout that
; "opdial-cli links register" writes (generated from desktop_app.platform.windows). The uninstaller
; removes only OpDial's files and keys, and the user's settings and history only if they say so.
; Compile-time paths are relative to this file (makensis works in its folder) and use "/", so the
; same script compiles on Windows and with Linux makensis (CI).
; Name, version and exe come from desktop_app/__init__.py via packaging/generated/ (build.py writes it).

Unicode true
ManifestDPIAware true
SetCompressor /SOLID lzma
RequestExecutionLevel user

!include "generated/opdial-defines.nsh"
!include "generated/opdial-links.nsh"
!include "MUI2.nsh"
!include "FileFunc.nsh"

!ifndef DIST_DIR
  !define DIST_DIR "../dist/opdial"
!endif
!ifndef OUT_DIR
  !define OUT_DIR "../dist"
!endif
!define UNINSTALL_KEY "Software\Microsoft\Windows\CurrentVersion\Uninstall\${APP_NAME}"
!define ICON_FILE "generated/opdial.ico"

Name "${APP_NAME}"
OutFile "${OUT_DIR}/${APP_NAME}-${APP_VERSION}-setup.exe"
InstallDir "$LOCALAPPDATA\Programs\${APP_NAME}"
InstallDirRegKey HKCU "${UNINSTALL_KEY}" "InstallLocation"
BrandingText "${APP_NAME} ${APP_VERSION}"

; The installer's own version resource.
VIProductVersion "${APP_VERSION_4}"
VIFileVersion "${APP_VERSION_4}"
VIAddVersionKey "ProductName" "${APP_NAME}"
VIAddVersionKey "ProductVersion" "${APP_VERSION}"
VIAddVersionKey "FileVersion" "${APP_VERSION}"
VIAddVersionKey "CompanyName" "${APP_ORG}"
VIAddVersionKey "FileDescription" "${APP_NAME} Setup"
VIAddVersionKey "LegalCopyright" "${APP_ORG}"

!define MUI_ICON "${ICON_FILE}"
!define MUI_UNICON "${ICON_FILE}"
!define MUI_ABORTWARNING
!define MUI_FINISHPAGE_RUN "$INSTDIR\${EXE_NAME}"
!define MUI_FINISHPAGE_RUN_TEXT "Start ${APP_NAME}"

!insertmacro MUI_PAGE_DIRECTORY
!insertmacro MUI_PAGE_INSTFILES
!insertmacro MUI_PAGE_FINISH
!insertmacro MUI_UNPAGE_CONFIRM
!insertmacro MUI_UNPAGE_INSTFILES
!insertmacro MUI_LANGUAGE "English"

Function .onInit
  SetShellVarContext current
FunctionEnd

Function un.onInit
  SetShellVarContext current
FunctionEnd

Section "${APP_NAME}" SectionApp
  SectionIn RO
  SetOutPath "$INSTDIR"
  ; An upgrade replaces the whole program folder: no stale library from an older version survives.
  RMDir /r "$INSTDIR\_internal"
  File /r "${DIST_DIR}/*"
  WriteUninstaller "$INSTDIR\uninstall.exe"

  CreateShortcut "$SMPROGRAMS\${APP_NAME}.lnk" "$INSTDIR\${EXE_NAME}" "" "$INSTDIR\${EXE_NAME}" 0 \
    SW_SHOWNORMAL "" "${APP_DESCRIPTION}"

  !insertmacro OPDIAL_REGISTER_LINKS

  ; "Apps & features" entry, per user.
  WriteRegStr HKCU "${UNINSTALL_KEY}" "DisplayName" "${APP_NAME}"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "DisplayVersion" "${APP_VERSION}"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "Publisher" "${APP_ORG}"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "DisplayIcon" '"$INSTDIR\${EXE_NAME}",0'
  WriteRegStr HKCU "${UNINSTALL_KEY}" "InstallLocation" "$INSTDIR"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "UninstallString" '"$INSTDIR\uninstall.exe"'
  WriteRegStr HKCU "${UNINSTALL_KEY}" "QuietUninstallString" '"$INSTDIR\uninstall.exe" /S'
  WriteRegDWORD HKCU "${UNINSTALL_KEY}" "NoModify" 1
  WriteRegDWORD HKCU "${UNINSTALL_KEY}" "NoRepair" 1
  ${GetSize} "$INSTDIR" "/S=0K" $0 $1 $2
  IntFmt $0 "0x%08X" $0
  WriteRegDWORD HKCU "${UNINSTALL_KEY}" "EstimatedSize" "$0"
SectionEnd

Section "Uninstall"
  !insertmacro OPDIAL_UNREGISTER_LINKS

  Delete "$SMPROGRAMS\${APP_NAME}.lnk"
  ; Only what the installer put there: a folder the user chose may hold other things.
  RMDir /r "$INSTDIR\_internal"
  Delete "$INSTDIR\${EXE_NAME}"
  Delete "$INSTDIR\uninstall.exe"
  RMDir "$INSTDIR"
  DeleteRegKey HKCU "${UNINSTALL_KEY}"

  ; Settings, profiles, call history and logs (platformdirs, roaming) only when the user asks.
  ; A silent uninstall (/S) keeps them.
  MessageBox MB_YESNO|MB_ICONQUESTION|MB_DEFBUTTON2 \
    "Also delete your ${APP_NAME} settings, profiles and call history?$\r$\n$\r$\n\
Saved API keys stay in Windows Credential Manager (entries named ${APP_ID}) until you remove them there." \
    /SD IDNO IDNO keep_user_data
  RMDir /r "$APPDATA\${APP_NAME}"
  RMDir /r "$LOCALAPPDATA\${APP_NAME}"
  keep_user_data:
SectionEnd
